// The GGUF module; its first files land with the transformer-engine work.

import TensorCore
import Safetensors
print(_probe(), _zprobe())

print("compress: under construction")

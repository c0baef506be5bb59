public enum KernelKitCore {}

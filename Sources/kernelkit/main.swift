import KernelKit
print("kernelkit")

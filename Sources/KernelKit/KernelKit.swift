// The umbrella module: `import KernelKit` brings in every KernelKit module and nothing else.
@_exported import KernelKitLinalg
@_exported import KernelKitCore
@_exported import KernelKitPlot
@_exported import KernelKitNTK
@_exported import KernelKitScaleMixtures
@_exported import KernelKitBessel
@_exported import KernelKitKDE
@_exported import KernelKitDKM
@_exported import KernelKitPDE
@_exported import KernelKitPFN

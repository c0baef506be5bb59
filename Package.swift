// swift-tools-version: 6.1
//
// KernelKit — probabilistic and kernel methods with infinite-width network analysis.
//
// Layers (read bottom-up):
//   C system modules (CBLAS, CLAPACKE, CFFTW, CGSL) + CVecMath (vectorised elementwise math)
//   KernelKitLinalg   the shared numerical layer: the only Swift code that touches C pointers
//   KernelKitCore     kernels, hyperparameters, exact GP regression, data formats
//   KernelKitPlot     dependency-free SVG plots
//   KernelKit<Method> one target per method module (added as they land)
//   KernelKit         umbrella: `import KernelKit` re-exports everything
//   kernelkit         the command line
import PackageDescription

let package = Package(
    name: "KernelKit",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "KernelKit", targets: ["KernelKit"]),
        .executable(name: "kernelkit", targets: ["kernelkit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
    ],
    targets: [
        // MARK: C libraries
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CLAPACKE", path: "Sources/CLAPACKE", providers: [.apt(["liblapacke-dev"])]),
        .systemLibrary(name: "CFFTW", path: "Sources/CFFTW", providers: [.apt(["libfftw3-dev"])]),
        .systemLibrary(name: "CGSL", path: "Sources/CGSL", providers: [.apt(["libgsl-dev"])]),
        // No unsafeFlags anywhere: a package that uses them cannot be a versioned dependency.
        .target(name: "CVecMath", path: "Sources/CVecMath",
                linkerSettings: [.linkedLibrary("mvec"), .linkedLibrary("m")]),

        // MARK: Library
        .target(name: "KernelKitLinalg",
                dependencies: ["CBLAS", "CLAPACKE", "CFFTW", "CGSL", "CVecMath"],
                exclude: ["README.md"]),
        .target(name: "KernelKitCore", dependencies: ["KernelKitLinalg"], exclude: ["README.md", "Data/README.md"]),
        .target(name: "KernelKitPlot", exclude: ["README.md"]),

        // MARK: Method modules (one paper each; they depend on Core + Linalg only)
        .target(name: "KernelKitNTK", dependencies: ["KernelKitLinalg"], exclude: ["README.md"]),
        .target(name: "KernelKitScaleMixtures", dependencies: ["KernelKitLinalg", "KernelKitCore", "KernelKitNTK"],
                exclude: ["README.md"]),
        .target(name: "KernelKitBessel", dependencies: ["KernelKitLinalg"], exclude: ["README.md"]),
        .target(name: "KernelKitKDE", dependencies: ["KernelKitLinalg", "KernelKitCore"], exclude: ["README.md"]),
        .target(name: "KernelKitDKM", dependencies: ["KernelKitLinalg"], exclude: ["README.md"]),
        .target(name: "KernelKitPDE", dependencies: ["KernelKitLinalg"], exclude: ["README.md"]),
        .target(name: "KernelKitPFN", dependencies: ["KernelKitLinalg", "KernelKitCore"],
                exclude: ["README.md"], resources: [.copy("Models")]),

        .target(name: "KernelKit", dependencies: ["KernelKitLinalg", "KernelKitCore", "KernelKitPlot",
                                                  "KernelKitNTK", "KernelKitScaleMixtures", "KernelKitBessel",
                                                  "KernelKitKDE", "KernelKitDKM", "KernelKitPDE",
                                                  "KernelKitPFN"]),

        // MARK: Command line
        .executableTarget(name: "kernelkit", dependencies: [
            "KernelKit", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // MARK: Notebooks (Markdown files in notebooks-text/ become Swift Testing suites)
        .executableTarget(name: "NotebookCompiler", path: "Sources/NotebookCompiler"),
        .plugin(name: "NotebookPlugin", capability: .buildTool(), dependencies: ["NotebookCompiler"]),

        // MARK: Tests
        .target(name: "KernelKitTestSupport", dependencies: [
            "KernelKitLinalg", .product(name: "PropertyBased", package: "swift-property-based"),
        ], path: "Sources/KernelKitTestSupport"),
        .testTarget(name: "KernelKitLinalgTests", dependencies: [
            "KernelKitLinalg", "KernelKitTestSupport",
            .product(name: "PropertyBased", package: "swift-property-based"),
        ]),
        .testTarget(name: "KernelKitCoreTests", dependencies: [
            "KernelKitCore", "KernelKitTestSupport",
            .product(name: "PropertyBased", package: "swift-property-based"),
        ]),
        .testTarget(name: "KernelKitNTKTests", dependencies: [
            "KernelKitNTK", "KernelKitTestSupport",
            .product(name: "PropertyBased", package: "swift-property-based"),
        ], resources: [.copy("Fixtures")]),
        .testTarget(name: "KernelKitScaleMixturesTests", dependencies: [
            "KernelKitScaleMixtures", "KernelKitTestSupport",
            .product(name: "PropertyBased", package: "swift-property-based"),
        ], resources: [.copy("Fixtures")]),
        .testTarget(name: "KernelKitBesselTests", dependencies: [
            "KernelKitBessel", "KernelKitTestSupport",
            .product(name: "PropertyBased", package: "swift-property-based"),
        ], resources: [.copy("Fixtures")]),
        .testTarget(name: "KernelKitKDETests", dependencies: [
            "KernelKitKDE", "KernelKitTestSupport",
            .product(name: "PropertyBased", package: "swift-property-based"),
        ], resources: [.copy("Fixtures")]),
        .testTarget(name: "KernelKitDKMTests", dependencies: [
            "KernelKitDKM", "KernelKitTestSupport",
        ], resources: [.copy("Fixtures")]),
        .testTarget(name: "KernelKitPDETests", dependencies: [
            "KernelKitPDE", "KernelKitTestSupport",
            .product(name: "PropertyBased", package: "swift-property-based"),
        ], resources: [.copy("Fixtures")]),
        .testTarget(name: "KernelKitPFNTests", dependencies: [
            "KernelKitPFN", "KernelKitTestSupport",
            .product(name: "PropertyBased", package: "swift-property-based"),
        ]),
        .testTarget(name: "KernelKitPlotTests", dependencies: ["KernelKitPlot"]),
        .testTarget(name: "KernelKitCLITests", dependencies: ["kernelkit"]),
        .testTarget(name: "NotebookTests", dependencies: ["KernelKit"], path: "notebooks-text",
                    plugins: ["NotebookPlugin"]),

        // MARK: Benchmarks (not part of `swift test`; run `swift run -c release kernelkit-bench`)
        .executableTarget(name: "kernelkit-bench", dependencies: ["KernelKit"], path: "Benchmarks",
                          exclude: ["README.md", "anchors", "run.sh", "ntk.sh", "pde-heldout.sh"]),
    ]
)

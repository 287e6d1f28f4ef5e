// swift-tools-version: 6.1
// AutoScale: compute-optimal data mixtures for language-model pretraining.
import PackageDescription

/// The tests train real models, and at `-Onone` the demo proxy step runs 130 tokens/s against release's ~17,000:
/// these modules build with `-O` in debug too (with the kernels' `@_specialize`: 12,857), so a plain `swift test`
/// finishes (Docs/architecture.md, "Builds"). Only optimization changes: the code has no `assert`, and
/// `precondition`, bounds and overflow checks stay on.
let optimizedInDebug: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "autoscale",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "autoscale", targets: ["autoscale"]),
        .library(name: "Base", targets: ["Base"]),
        .library(name: "LinearAlgebra", targets: ["LinearAlgebra"]),
        .library(name: "Optimization", targets: ["Optimization"]),
        .library(name: "ScalingLaws", targets: ["ScalingLaws"]),
        .library(name: "Cluster", targets: ["Cluster"]),
        .library(name: "Transformer", targets: ["Transformer"]),
        .library(name: "Training", targets: ["Training"]),
        .library(name: "Corpus", targets: ["Corpus"]),
        .library(name: "DataMixing", targets: ["DataMixing"]),
        .library(name: "Proxies", targets: ["Proxies"]),
        .library(name: "Pipelines", targets: ["Pipelines"]),
    ],
    traits: [
        .trait(name: "MPI", description: "Distributed runs over MPI (Open MPI or MPICH); `make` enables it when pkg-config finds `mpi`."),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
    ],
    targets: [
        // System libraries: tiny C shims over Debian's OpenBLAS and LAPACKE.
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CLAPACKE", path: "Sources/CLAPACKE", pkgConfig: "lapacke",
                       providers: [.apt(["liblapacke-dev"])]),
        .systemLibrary(name: "CMPI", path: "Sources/CMPI", pkgConfig: "mpi",
                       providers: [.apt(["libopenmpi-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),

        // Layers, each importing only layers below it (Docs/architecture.md draws them).
        // Base: seeded RNGs, the CSV table, ordered JSON, atomic writes, token counts, rounding, field errors.
        .target(name: "Base", swiftSettings: optimizedInDebug),
        .target(name: "LinearAlgebra", dependencies: ["CBLAS", "CLAPACKE"], swiftSettings: optimizedInDebug),
        .target(name: "Optimization", dependencies: ["Base", "LinearAlgebra"], swiftSettings: optimizedInDebug),
        .target(name: "ScalingLaws", dependencies: ["Base", "Optimization", "LinearAlgebra"],
                swiftSettings: optimizedInDebug),
        .target(name: "Cluster", dependencies: [.target(name: "CMPI", condition: .when(traits: ["MPI"]))]),
        .target(name: "Transformer", dependencies: ["Base", "LinearAlgebra"], swiftSettings: optimizedInDebug),
        .target(name: "Training", dependencies: ["Base", "Transformer", "Cluster", "LinearAlgebra"],
                swiftSettings: optimizedInDebug),
        .target(name: "Corpus", dependencies: ["Base", "CZlib", .product(name: "HeapModule", package: "swift-collections")],
                swiftSettings: optimizedInDebug),
        // The mixture math only: plans, objectives, fits, the allocation, the predictor.
        .target(name: "DataMixing", dependencies: ["Base", "Optimization", "LinearAlgebra"],
                swiftSettings: optimizedInDebug),
        // Proxy configs and trainers, batch sources over the sampler, the one run cache.
        .target(name: "Proxies",
                dependencies: ["Base", "DataMixing", "Corpus", "Training", "Transformer", "Cluster", "LinearAlgebra",
                               .product(name: "Yams", package: "Yams")],
                swiftSettings: optimizedInDebug),
        // The pipeline and its report (report.json, report.html, SVG).
        .target(name: "Pipelines",
                dependencies: ["Base", "Proxies", "DataMixing", "Corpus", "Training", "Cluster",
                               .product(name: "Yams", package: "Yams")]),
        .executableTarget(
            name: "autoscale",
            dependencies: [
                "Base", "LinearAlgebra", "Optimization", "ScalingLaws", "Cluster", "Transformer", "Training", "Corpus",
                "DataMixing", "Proxies", "Pipelines",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
            ]),

        // Unit tests, one target per layer; end-to-end tests drive the built CLI.
        .target(name: "TestSupport", dependencies: ["Base"], path: "Tests/TestSupport"),
        .testTarget(name: "BaseTests", dependencies: ["Base", "TestSupport"]),
        .testTarget(name: "LinearAlgebraTests", dependencies: ["LinearAlgebra", "TestSupport"]),
        .testTarget(name: "OptimizationTests", dependencies: ["Optimization", "Base", "TestSupport"]),
        .testTarget(name: "ScalingLawsTests", dependencies: ["ScalingLaws", "Base", "TestSupport"]),
        .testTarget(name: "ClusterTests", dependencies: ["Cluster", "TestSupport"]),
        .testTarget(name: "TransformerTests", dependencies: ["Transformer", "Training", "Base", "TestSupport"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Base", "TestSupport"]),
        .testTarget(name: "CorpusTests", dependencies: ["Corpus", "Base", "TestSupport"]),
        .testTarget(name: "DataMixingTests", dependencies: ["DataMixing", "Base", "TestSupport"]),
        .testTarget(name: "ProxiesTests", dependencies: ["Proxies", "DataMixing", "Base", "TestSupport"]),
        .testTarget(name: "PipelinesTests", dependencies: ["Pipelines", "Proxies", "DataMixing", "Base", "TestSupport"]),
        .testTarget(name: "EndToEndTests", dependencies: ["autoscale", "TestSupport"]),
        // The parser fuzzer (`make fuzz SECONDS=N`); skipped unless AUTOSCALE_FUZZ_SECONDS is set.
        .testTarget(name: "FuzzTests", dependencies: ["Pipelines", "Proxies", "DataMixing", "ScalingLaws", "Corpus", "Transformer", "Base",
                                                      "TestSupport"]),
    ]
)

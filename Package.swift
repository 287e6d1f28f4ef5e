// swift-tools-version: 6.1
// AutoScale: compute-optimal data mixtures for language-model pretraining.
import PackageDescription

let package = Package(
    name: "autoscale",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "autoscale", targets: ["autoscale"]),
        .library(name: "LinearAlgebra", targets: ["LinearAlgebra"]),
        .library(name: "Optimization", targets: ["Optimization"]),
        .library(name: "ScalingLaws", targets: ["ScalingLaws"]),
        .library(name: "Cluster", targets: ["Cluster"]),
        .library(name: "Transformer", targets: ["Transformer"]),
        .library(name: "Training", targets: ["Training"]),
        .library(name: "Corpus", targets: ["Corpus"]),
        .library(name: "DataMixing", targets: ["DataMixing"]),
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

        // Layers, each importing only layers below it.
        .target(name: "LinearAlgebra", dependencies: ["CBLAS", "CLAPACKE"]),
        .target(name: "Optimization", dependencies: ["LinearAlgebra"]),
        .target(name: "ScalingLaws", dependencies: ["Optimization", "LinearAlgebra"]),
        .target(name: "Cluster", dependencies: [.target(name: "CMPI", condition: .when(traits: ["MPI"]))]),
        .target(name: "Transformer", dependencies: ["LinearAlgebra"]),
        .target(name: "Training", dependencies: ["Transformer", "Cluster", "Optimization", "LinearAlgebra"]),
        .target(name: "Corpus", dependencies: ["CZlib", "Optimization", .product(name: "HeapModule", package: "swift-collections")]),
        .target(name: "DataMixing",
                dependencies: ["Corpus", "Training", "Cluster", "Transformer", "ScalingLaws", "Optimization", "LinearAlgebra",
                               .product(name: "Yams", package: "Yams")]),
        .executableTarget(
            name: "autoscale",
            dependencies: [
                "LinearAlgebra", "Optimization", "ScalingLaws", "Cluster", "Transformer", "Training", "Corpus", "DataMixing",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
            ]),

        // Unit tests, one target per layer; end-to-end tests drive the built CLI.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "LinearAlgebraTests", dependencies: ["LinearAlgebra", "TestSupport"]),
        .testTarget(name: "OptimizationTests", dependencies: ["Optimization", "TestSupport"]),
        .testTarget(name: "ScalingLawsTests", dependencies: ["ScalingLaws", "TestSupport"]),
        .testTarget(name: "ClusterTests", dependencies: ["Cluster", "TestSupport"]),
        .testTarget(name: "TransformerTests", dependencies: ["Transformer", "Training", "TestSupport"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "TestSupport"]),
        .testTarget(name: "CorpusTests", dependencies: ["Corpus", "Optimization", "TestSupport"]),
        .testTarget(name: "DataMixingTests", dependencies: ["DataMixing", "TestSupport"]),
        .testTarget(name: "EndToEndTests", dependencies: ["autoscale", "TestSupport"]),
    ]
)

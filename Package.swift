// swift-tools-version: 6.0
import PackageDescription

/// The numeric targets are optimised even in debug builds: `make test` builds in debug, and a
/// model forward pass at -Onone is too slow to test on the real model.
let optimized: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "finetune",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "finetune", targets: ["finetune"]),
        .library(name: "ChatDataset", targets: ["ChatDataset"]),
        .library(name: "GGUF", targets: ["GGUF"]),
        .library(name: "Tokenization", targets: ["Tokenization"]),
        .library(name: "LanguageModel", targets: ["LanguageModel"]),
        .library(name: "LoRATraining", targets: ["LoRATraining"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/onevcat/Rainbow", from: "4.2.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/vapor/multipart-kit", from: "4.7.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        .executableTarget(
            name: "finetune",
            dependencies: [
                "ChatDataset", "GGUF", "Tokenization", "LanguageModel", "LoRATraining", "ModelHub", "TensorCore",
                "APIServer", "FineTuningProviders", "OpenAIAPI", "Evaluation", "Charts", "Reporting", "ExperimentTracking",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Rainbow", package: "Rainbow"),
            ]
        ),
        .target(
            name: "ChatDataset",
            dependencies: [.product(name: "Yams", package: "Yams"), .product(name: "Crypto", package: "swift-crypto")]
        ),
        // BLAS: Debian's OpenBLAS (libopenblas-dev) on Linux, Accelerate on macOS (see shim.h).
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // The inner loops: quantized dot products, norms, RoPE, attention, the thread pool.
        .target(
            name: "TensorKernels",
            cSettings: [.unsafeFlags(["-O3", "-fno-math-errno"])]
        ),
        .target(
            name: "TensorCore",
            dependencies: ["CBLAS", "TensorKernels"],
            swiftSettings: optimized,
            linkerSettings: [
                .linkedLibrary("openblas", .when(platforms: [.linux])),
                .linkedFramework("Accelerate", .when(platforms: [.macOS])),
            ]
        ),
        .target(name: "GGUF", swiftSettings: optimized),
        .target(name: "Tokenization", dependencies: ["GGUF"], swiftSettings: optimized),
        .target(
            name: "LanguageModel",
            dependencies: ["TensorCore", "GGUF", "Tokenization", "ChatDataset"],
            swiftSettings: optimized
        ),
        .target(
            name: "LoRATraining",
            dependencies: ["LanguageModel", "TensorCore", "TensorKernels", "GGUF", "Tokenization", "ChatDataset", "Charts"],
            swiftSettings: optimized
        ),
        .target(
            name: "ModelHub",
            dependencies: [
                "GGUF",
                .product(name: "Yams", package: "Yams"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // OpenAI's wire format: Codable requests and responses shared by the server and the clients.
        .target(name: "OpenAIAPI"),
        // `finetune serve`: the OpenAI-compatible fine-tuning server on the local engine.
        .target(
            name: "APIServer",
            dependencies: [
                "OpenAIAPI", "ChatDataset", "GGUF", "Tokenization", "LanguageModel", "LoRATraining", "ModelHub", "TensorCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The backends `finetune train --provider` drives: the local engine, OpenAI and Together, behind one
        // protocol; the job monitor and the run records.
        .target(
            name: "FineTuningProviders",
            dependencies: [
                "OpenAIAPI", "ChatDataset", "LanguageModel", "LoRATraining", "ModelHub",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // SVG charts (loss curves, truth-vs-prediction scatter, confusion matrix) and their PNG copies.
        .target(name: "Charts"),
        // `finetune eval`: test sets, answer extraction, metrics, baseline comparison, evaluation records
        // and the leaderboard.
        .target(
            name: "Evaluation",
            dependencies: ["FineTuningProviders", "ChatDataset"]
        ),
        // `finetune report`: the experiment document (Markdown and self-contained HTML) of a run.
        .target(name: "Reporting", dependencies: ["Charts", "FineTuningProviders", "OpenAIAPI"]),
        // Experiment tracking on an MLflow tracking server (REST API).
        .target(
            name: "ExperimentTracking",
            dependencies: [.product(name: "AsyncHTTPClient", package: "async-http-client")]
        ),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "FineTuningProviders"]),
        .testTarget(name: "ReportingTests", dependencies: ["Reporting", "Charts", "FineTuningProviders", "OpenAIAPI"]),
        .testTarget(name: "ExperimentTrackingTests", dependencies: ["ExperimentTracking"]),
        .testTarget(name: "OpenAIAPITests", dependencies: ["OpenAIAPI"]),
        .testTarget(
            name: "FineTuningProvidersTests",
            dependencies: [
                "FineTuningProviders", "OpenAIAPI", "APIServer", "ModelHub", "ChatDataset",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "APIServerTests",
            dependencies: [
                "APIServer", "OpenAIAPI", "ModelHub", "ChatDataset",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "ChatDatasetTests",
            dependencies: ["ChatDataset"],
            exclude: ["Fixtures"]
        ),
        .testTarget(name: "GGUFTests", dependencies: ["GGUF", "ChatDataset"], exclude: ["Fixtures"]),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "TensorKernels", "GGUF"]),
        .testTarget(
            name: "TokenizationTests",
            dependencies: ["Tokenization", "GGUF", "ChatDataset"],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "LanguageModelTests",
            dependencies: ["LanguageModel", "GGUF", "Tokenization", "TensorCore", "ChatDataset"],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "LoRATrainingTests",
            dependencies: ["LoRATraining", "LanguageModel", "TensorCore", "TensorKernels", "GGUF", "Tokenization", "ChatDataset"],
            exclude: ["Fixtures"]
        ),
        .testTarget(name: "ModelHubTests", dependencies: ["ModelHub", "GGUF"], exclude: ["Fixtures"]),
        .testTarget(
            name: "FinetuneCLITests",
            dependencies: ["finetune"]
        ),
    ],
    swiftLanguageModes: [.v6]
)

import FineTuningProviders
import Foundation
import LoRATraining
import ModelHub
import Testing

/// A temporary finetune home (never the user's) with the real SmolLM2 registered as `smollm2-test`,
/// and small chat datasets, for the local engine's tests.
enum LocalTestSupport {
    static let baseModel = "smollm2-test"

    /// The real SmolLM2 file when present (`make test` pulls it into the finetune home):
    /// $FINETUNE_TEST_MODEL, else the catalog model as the user's finetune home resolves it.
    static let realModel: String? = {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["FINETUNE_TEST_MODEL"] { return path }
        guard let url = try? ModelStore(environment: environment).resolve("smollm2-135m-instruct") else { return nil }
        return FileManager.default.fileExists(atPath: url.path) ? url.path : nil
    }()

    /// A new empty home in the temporary folder.
    static func emptyHome() throws -> FinetuneHome {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("finetune-local-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return FinetuneHome(url: url)
    }

    /// A new home with the real model registered as `baseModel`.
    static func homeWithModel() throws -> FinetuneHome {
        let home = try emptyHome()
        let path = try #require(realModel, "the SmolLM2 model is needed")
        try ModelStore(home: home, catalog: ModelCatalog(entries: [])).add(path: path, name: baseModel)
        return home
    }

    /// The models registered in `home`.
    static func models(in home: FinetuneHome) throws -> [ModelRecord] {
        try ModelStore(home: home, catalog: ModelCatalog(entries: [])).list()
    }

    /// Small, fast runs: short examples, two threads, checkpoints kept for every step of a short run.
    static func provider(home: FinetuneHome, checkpointEvery: Int? = nil) -> LocalEngineProvider {
        var options = TrainingOptions()
        options.maxLength = 128
        options.checkpointEvery = checkpointEvery
        options.keepCheckpoints = 3
        return LocalEngineProvider(LocalEngineConfiguration(home: home, threads: 2, options: options))
    }

    /// Writes `text` to a file named `name` in `home`'s folder.
    static func file(_ text: String, name: String, in home: FinetuneHome) throws -> URL {
        let url = home.url.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    /// The metrics events of `events`, by kind: training steps and validation steps.
    static func stepNumbers(_ events: [JobEvent]) -> (train: [Int], valid: [Int]) {
        let metrics = events.compactMap(\.metrics)
        return (metrics.filter { $0.trainLoss != nil }.map(\.step), metrics.filter { $0.validLoss != nil }.map(\.step))
    }

    /// Polls `condition` every 10 ms for up to `timeout`.
    static func wait(timeout: Duration = .seconds(60), until condition: () async throws -> Bool) async throws {
        let clock = ContinuousClock(), deadline = clock.now + timeout
        while clock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("the condition did not hold within \(timeout)")
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs a suite only when the real SmolLM2 model is present.
    static var needsLocalModel: Self {
        .enabled(if: LocalTestSupport.realModel != nil, "needs the SmolLM2 model (make test fetches it)")
    }
}

/// Small chat datasets: "What is the capital of X?" → "The capital of X is Y."
enum LocalData {
    static let capitals = [
        ("France", "Paris"), ("Spain", "Madrid"), ("Italy", "Rome"), ("Germany", "Berlin"), ("Portugal", "Lisbon"),
        ("Austria", "Vienna"), ("Poland", "Warsaw"), ("Greece", "Athens"), ("Norway", "Oslo"), ("Sweden", "Stockholm"),
        ("Finland", "Helsinki"), ("Ireland", "Dublin"), ("Hungary", "Budapest"), ("Denmark", "Copenhagen"),
        ("Belgium", "Brussels"), ("Czechia", "Prague"),
    ]

    static func jsonl(_ pairs: ArraySlice<(String, String)>) -> String {
        pairs.map { country, city in
            #"{"messages":[{"role":"system","content":"Answer in one sentence."},{"role":"user","content":"What is the capital of \#(country)?"},{"role":"assistant","content":"The capital of \#(country) is \#(city)."}]}"#
        }.joined(separator: "\n") + "\n"
    }

    static var train: String { jsonl(capitals[0..<12]) }
    static var valid: String { jsonl(capitals[12...]) }

    /// Line 2 has no assistant message.
    static var missingAnswerOnLine2: String {
        jsonl(capitals[0..<1]) + #"{"messages":[{"role":"user","content":"Hello"}]}"# + "\n"
    }

    /// Twelve examples, the third of which has a role the API doesn't know.
    static var invalid: String {
        var lines = jsonl(capitals[0..<12]).split(separator: "\n").map(String.init)
        lines[2] = lines[2].replacingOccurrences(of: #""role":"user""#, with: #""role":"bot""#)
        return lines.joined(separator: "\n") + "\n"
    }
}

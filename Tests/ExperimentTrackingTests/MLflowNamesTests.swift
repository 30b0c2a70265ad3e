import Testing
@testable import ExperimentTracking

@Suite("MLflow names and batches")
struct MLflowNamesTests {
    @Test("keys keep what MLflow accepts and replace the rest", arguments: [
        ("train_loss", "train_loss"),
        ("within_10%", "within_10pct"),
        ("baseline.within_5", "baseline.within_5"),
        ("eval/mae score", "eval/mae score"),
        ("a//b/", "a/b"),
        ("/abs/./x", "abs/x"),
        ("../up", "_/up"),
        ("f1:macro", "f1_macro"),
        ("précision", "pr_cision"),
        ("", "_"),
        ("%", "pct"),
    ])
    func key(text: String, expected: String) {
        #expect(MLflowNames.key(text) == expected)
    }

    @Test("keys are cut to 250 characters")
    func longKey() {
        #expect(MLflowNames.key(String(repeating: "k", count: 300)) == String(repeating: "k", count: 250))
    }

    @Test("a long value is cut to the limit and says how long it was")
    func truncated() {
        let value = String(repeating: "é", count: 7000)
        let cut = MLflowNames.truncated(value, limit: 6000)
        #expect(cut.unicodeScalars.count == 6000)
        #expect(cut.hasSuffix("… [truncated: 7000 characters]"))
        #expect(cut.hasPrefix("éééé"))
        #expect(MLflowNames.truncated("short", limit: 6000) == "short")
        let exact = String(repeating: "x", count: 6000)
        #expect(MLflowNames.truncated(exact, limit: 6000) == exact)
    }

    @Test("log-batch calls stay within MLflow's limits and carry everything once")
    func batches() throws {
        let params = Dictionary(uniqueKeysWithValues: (0..<150).map { ("param_\($0)", "v\($0)") })
        let tags = Dictionary(uniqueKeysWithValues: (0..<120).map { ("tag_\($0)", "t\($0)") })
        let metrics = (1...2500).map { MLflowMetric(key: "train_loss", value: Double($0), step: $0, timestamp: 7) }
        let batches = LogBatchPlanner.batches(runID: "r", params: params, metrics: metrics, tags: tags)
        for batch in batches {
            #expect(batch.runID == "r")
            #expect(batch.metrics.count <= 1000 && batch.params.count <= 100 && batch.tags.count <= 100)
            #expect(batch.metrics.count + batch.params.count + batch.tags.count <= 1000)
            #expect(try MLflowJSON.encoder().encode(batch).count < 1_000_000)
        }
        #expect(batches.flatMap(\.params).map(\.key).sorted() == params.keys.sorted())
        #expect(batches.flatMap(\.tags).map(\.key).sorted() == tags.keys.sorted())
        #expect(batches.flatMap(\.metrics).map(\.step) == Array(1...2500))
        // Greedy, params then tags then metrics: [100 params], [50 params + 100 tags],
        // [20 tags + 980 metrics] (1000 entities), [1000 metrics], [520 metrics].
        #expect(batches.map { [$0.params.count, $0.tags.count, $0.metrics.count] }
            == [[100, 0, 0], [50, 100, 0], [0, 20, 980], [0, 0, 1000], [0, 0, 520]])
    }

    @Test("large values split a batch by bytes; values are cut and keys sanitized")
    func bytes() throws {
        let big = String(repeating: "x", count: 9000)
        let params = Dictionary(uniqueKeysWithValues: (0..<100).map { ("p\($0)", big) })
        let tags = Dictionary(uniqueKeysWithValues: (0..<100).map { ("t\($0)%", big) })
        let batches = LogBatchPlanner.batches(runID: "r", params: params, metrics: [], tags: tags)
        #expect(batches.count >= 2)
        for batch in batches {
            #expect(try MLflowJSON.encoder().encode(batch).count < 1_000_000)
        }
        let allParams = batches.flatMap(\.params)
        let allTags = batches.flatMap(\.tags)
        #expect(allParams.count == 100 && allTags.count == 100)
        #expect(allParams.allSatisfy { $0.value.count == 6000 })
        #expect(allTags.allSatisfy { $0.value.count == 8000 && $0.key.hasSuffix("pct") })
    }

    @Test("nothing to log makes no call")
    func empty() {
        #expect(LogBatchPlanner.batches(runID: "r", params: [:], metrics: [], tags: [:]).isEmpty)
    }

    @Test("NaN and infinities are sent as protobuf JSON strings")
    func nonFinite() throws {
        let batch = LogBatchRequest(runID: "r", metrics: [
            WireMetric(key: "a", value: .nan, timestamp: 1, step: 1),
            WireMetric(key: "a", value: .infinity, timestamp: 1, step: 2),
            WireMetric(key: "a", value: -.infinity, timestamp: 1, step: 3),
        ], params: [], tags: [])
        let text = String(decoding: try MLflowJSON.encoder().encode(batch), as: UTF8.self)
        #expect(text.contains(#""value":"NaN""#) && text.contains(#""value":"Infinity""#) && text.contains(#""value":"-Infinity""#))
    }
}

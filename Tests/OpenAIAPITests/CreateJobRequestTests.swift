import Foundation
import Testing
@testable import OpenAIAPI

@Suite("Create fine-tuning job request")
struct CreateJobRequestTests {
    /// What `client.fine_tuning.jobs.create(...)` sends with every option used (API.md §6.1).
    static let sdkBody = #"""
    {"model":"smollm2-135m-instruct","training_file":"file-abc","hyperparameters":{"n_epochs":3,"batch_size":"auto"},
     "integrations":[{"type":"wandb","wandb":{"project":"p","tags":["t"]}}],"metadata":{"team":"ml","run":""},
     "method":{"type":"supervised","supervised":{"hyperparameters":{"n_epochs":2,"learning_rate_multiplier":0.5}}},
     "seed":42,"suffix":"pricer","validation_file":"file-val","some_future_field":{"x":1}}
    """#

    @Test("Decodes the body the Python SDK sends, ignoring unknown keys")
    func decodesSDKBody() throws {
        let request = try decode(CreateFineTuningJobRequest.self, Self.sdkBody)
        #expect(request.model == "smollm2-135m-instruct")
        #expect(request.trainingFile == "file-abc")
        #expect(request.effectiveValidationFile == "file-val")
        #expect(request.seed == 42)
        #expect(request.suffix == "pricer")
        #expect(request.metadata == ["team": "ml", "run": ""])
        #expect(request.integrations?.first?["wandb"]?["project"] == "p")
        #expect(request.method?.type == "supervised")
        try request.validate()
    }

    @Test("Method hyperparameters override top-level ones key by key")
    func effectiveHyperparameters() throws {
        let request = try decode(CreateFineTuningJobRequest.self, Self.sdkBody)
        #expect(request.effectiveHyperparameters == FineTuningHyperparameters(
            nEpochs: .value(2), batchSize: .auto, learningRateMultiplier: .value(0.5)))
    }

    @Test("A minimal body decodes with everything else nil")
    func minimalBody() throws {
        let request = try decode(CreateFineTuningJobRequest.self, #"{"model":"m","training_file":"file-1"}"#)
        #expect(request == CreateFineTuningJobRequest(model: "m", trainingFile: "file-1"))
        #expect(request.effectiveHyperparameters == FineTuningHyperparameters())
        try request.validate()
    }

    @Test("An empty validation_file (as Together sends it) counts as none")
    func emptyValidationFile() throws {
        let request = try decode(CreateFineTuningJobRequest.self, #"{"model":"m","training_file":"f","validation_file":""}"#)
        #expect(request.validationFile == "")
        #expect(request.effectiveValidationFile == nil)
    }

    @Test("A missing training_file is a decoding error at that key")
    func missingTrainingFile() {
        #expect(throws: DecodingError.self) {
            try decode(CreateFineTuningJobRequest.self, #"{"model":"m"}"#)
        }
    }

    struct BadCase: Sendable, CustomTestStringConvertible {
        var body: String
        var param: String
        var code: String? = nil
        var testDescription: String { param }
    }

    static let badCases: [BadCase] = [
        BadCase(body: #""hyperparameters":{"n_epochs":0}"#, param: "hyperparameters.n_epochs"),
        BadCase(body: #""hyperparameters":{"batch_size":-1}"#, param: "hyperparameters.batch_size"),
        BadCase(body: #""hyperparameters":{"learning_rate_multiplier":0}"#, param: "hyperparameters.learning_rate_multiplier"),
        BadCase(body: #""hyperparameters":{"learning_rate_multiplier":-0.5}"#, param: "hyperparameters.learning_rate_multiplier"),
        BadCase(body: #""method":{"type":"supervised","supervised":{"hyperparameters":{"n_epochs":0}}}"#,
                param: "method.supervised.hyperparameters.n_epochs"),
        BadCase(body: #""method":{"type":"supervised","supervised":{"hyperparameters":{"batch_size":0}}}"#,
                param: "method.supervised.hyperparameters.batch_size"),
        BadCase(body: #""method":{"type":"dpo","dpo":{"hyperparameters":{"beta":0.1}}}"#, param: "method.type", code: "unsupported"),
        BadCase(body: #""method":{"type":"reinforcement"}"#, param: "method.type", code: "unsupported"),
        BadCase(body: #""suffix":"has:colon""#, param: "suffix"),
        BadCase(body: #""suffix":"has space""#, param: "suffix"),
        BadCase(body: "\"suffix\":\"\(String(repeating: "a", count: 65))\"", param: "suffix"),
        BadCase(body: "\"metadata\":{\((0..<17).map { "\"k\($0)\":\"v\"" }.joined(separator: ","))}", param: "metadata"),
    ]

    @Test("Bad values are refused with the parameter named", arguments: badCases)
    func refusesBadValues(_ bad: BadCase) throws {
        let text = #"{"model":"m","training_file":"f","# + bad.body + "}"
        let request = try decode(CreateFineTuningJobRequest.self, text)
        let error = try #require(throws: RequestValidationError.self) { try request.validate() }
        #expect(error.param == bad.param)
        #expect(error.code == bad.code)
        #expect(!error.message.isEmpty)
    }

    @Test("An empty model or training_file is refused")
    func emptyIDs() throws {
        let noModel = try #require(throws: RequestValidationError.self) {
            try CreateFineTuningJobRequest(model: "", trainingFile: "f").validate()
        }
        #expect(noModel.param == "model")
        let noFile = try #require(throws: RequestValidationError.self) {
            try CreateFineTuningJobRequest(model: "m", trainingFile: "").validate()
        }
        #expect(noFile.param == "training_file")
    }

    @Test("Limits themselves are accepted")
    func acceptsLimits() throws {
        let metadata = Dictionary(uniqueKeysWithValues: (0..<16).map { ("k\($0)", "v") })
        let request = CreateFineTuningJobRequest(
            model: "m", trainingFile: "f",
            hyperparameters: FineTuningHyperparameters(nEpochs: .value(1), batchSize: .value(1), learningRateMultiplier: .value(1e-6)),
            suffix: String(repeating: "a", count: 60) + "._-9", metadata: metadata)
        try request.validate()
        try CreateFineTuningJobRequest(model: "m", trainingFile: "f", suffix: "").validate()
    }

    @Test("Round-trips through the wire coders")
    func roundTrip() throws {
        let request = try decode(CreateFineTuningJobRequest.self, Self.sdkBody)
        #expect(try decode(CreateFineTuningJobRequest.self, try json(request)) == request)
    }
}

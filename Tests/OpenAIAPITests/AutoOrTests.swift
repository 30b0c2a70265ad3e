import Foundation
import Testing
@testable import OpenAIAPI

@Suite("AutoOr")
struct AutoOrTests {
    @Test("Decodes \"auto\", integers and fractions")
    func decodesValues() throws {
        let values = try decode(FineTuningHyperparameters.self, #"{"n_epochs":"auto","batch_size":3,"learning_rate_multiplier":0.5}"#)
        #expect(values.nEpochs == .auto)
        #expect(values.batchSize == .value(3))
        #expect(values.learningRateMultiplier == .value(0.5))
        #expect(values.batchSize?.value == 3)
        #expect(values.nEpochs?.value == nil)
    }

    @Test("An integer multiplier decodes as a Double")
    func integerMultiplier() throws {
        let values = try decode(FineTuningHyperparameters.self, #"{"learning_rate_multiplier":2}"#)
        #expect(values.learningRateMultiplier == .value(2.0))
    }

    @Test("Absent and null keys decode as nil")
    func absentKeys() throws {
        let values = try decode(FineTuningHyperparameters.self, #"{"n_epochs":null}"#)
        #expect(values == FineTuningHyperparameters())
    }

    @Test("Another string fails with the coding path")
    func otherStringFails() throws {
        let error = try #require(throws: DecodingError.self) {
            try decode(CreateFineTuningJobRequest.self, #"{"model":"m","training_file":"f","hyperparameters":{"n_epochs":"x"}}"#)
        }
        guard case .dataCorrupted(let context) = error else {
            Issue.record("expected dataCorrupted, got \(error)")
            return
        }
        #expect(context.codingPath.map(\.stringValue) == ["hyperparameters", "n_epochs"])
    }

    @Test("A fraction for an integer hyperparameter fails")
    func fractionForIntegerFails() throws {
        #expect(throws: DecodingError.self) {
            try decode(FineTuningHyperparameters.self, #"{"n_epochs":2.5}"#)
        }
    }

    @Test("3.0 for an integer hyperparameter is read as 3")
    func integralDouble() throws {
        let values = try decode(FineTuningHyperparameters.self, #"{"n_epochs":3.0}"#)
        #expect(values.nEpochs == .value(3))
    }

    @Test("A Boolean fails")
    func booleanFails() {
        #expect(throws: DecodingError.self) {
            try decode(FineTuningHyperparameters.self, #"{"batch_size":true}"#)
        }
    }

    @Test("Encodes \"auto\" or the bare number")
    func encodes() throws {
        #expect(try json(AutoOr<Int>.auto) == #""auto""#)
        #expect(try json(AutoOr<Int>.value(4)) == "4")
        #expect(try json(AutoOr<Double>.value(0.25)) == "0.25")
        #expect(try json(FineTuningHyperparameters(nEpochs: .value(2))) == #"{"n_epochs":2}"#)
    }
}

import Foundation
import GGUF
import Testing
@testable import ModelHub

@Suite("model summaries read from GGUF headers")
struct ModelSummaryTests {
    @Test("architecture, parameter count, file type, context length and size of a tiny model")
    func tinyModel() throws {
        let url = try TestFiles.scratch("summary").appendingPathComponent("tiny.gguf")
        try TestFiles.writeTinyModel(to: url, fileType: 3, contextLength: 2048)
        let summary = try ModelSummary(contentsOf: url)
        #expect(summary.architecture == "llama")
        #expect(summary.modelName == "Tiny Test Model")
        #expect(summary.parameterCount == 512 + 256)
        #expect(summary.formattedParameters == "768")
        #expect(summary.quantization == "Q4_1")
        #expect(summary.contextLength == 2048)
        #expect(summary.tensorCount == 2)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)
        #expect(summary.fileSizeBytes == size.intValue)
    }

    @Test("without general.file_type the quantization is the tensor type holding the most bytes")
    func dominantType() throws {
        let url = try TestFiles.scratch("summary").appendingPathComponent("tiny.gguf")
        try TestFiles.writeTinyModel(to: url, fileType: nil)
        // F32 output_norm holds 1,024 bytes, Q4_1 token_embd 320.
        #expect(try ModelSummary(contentsOf: url).quantization == "F32")
    }

    @Test("file types map to llama.cpp's names", arguments: [(0, "F32"), (3, "Q4_1"), (7, "Q8_0"), (15, "Q4_K_M"), (32, "BF16"), (1024 + 3, "Q4_1 (guessed)")])
    func fileTypes(_ value: Int, _ name: String) {
        #expect(ModelSummary.fileTypeName(value) == name)
    }

    @Test("an unknown file type falls back to the tensor types")
    func unknownFileType() throws {
        #expect(ModelSummary.fileTypeName(5) == nil)
        let url = try TestFiles.scratch("summary").appendingPathComponent("tiny.gguf")
        try TestFiles.writeTinyModel(to: url, fileType: 5)
        #expect(try ModelSummary(contentsOf: url).quantization == "F32")
    }

    @Test("parameter counts are shortened like model names do", arguments: [
        (544, "544"), (1_500, "1.5K"), (134_515_008, "134.5M"), (1_235_814_400, "1.2B"), (70_553_706_496, "70.6B"),
    ])
    func shortCounts(_ count: Int, _ text: String) {
        #expect(ModelSummary.shortCount(count) == text)
    }

    @Test("a file that is not GGUF is refused with the GGUF reader's message")
    func notGGUF() throws {
        let url = try TestFiles.scratch("summary").appendingPathComponent("notes.gguf")
        try Data("hello, this is text".utf8).write(to: url)
        let error = try #require(throws: ModelHubError.self) { try ModelSummary(contentsOf: url) }
        guard case .invalidModel(let path, let reason) = error else {
            Issue.record("expected invalidModel, got \(error)")
            return
        }
        #expect(path == url.path)
        #expect(reason.contains("is not a GGUF file"))
        #expect(error.description.hasPrefix("\(url.path) is not a usable GGUF model: "))
    }

    @Test("a missing file and a folder are reported as such")
    func missing() throws {
        let folder = try TestFiles.scratch("summary")
        #expect(throws: ModelHubError.cannotRead(path: folder.path + "/absent.gguf", reason: "no such file; check the path")) {
            try ModelSummary(contentsOf: folder.appendingPathComponent("absent.gguf"))
        }
        #expect(throws: ModelHubError.cannotRead(path: folder.path, reason: "it is a folder; give the path of a .gguf file")) {
            try ModelSummary(contentsOf: folder)
        }
    }

    @Test("the real SmolLM2 file summarises as llama, 134.5M, Q4_1, context 8,192",
          .enabled(if: RealModel.url != nil, "needs FINETUNE_TEST_MODEL or a pulled smollm2-135m-instruct"))
    func realModel() throws {
        let summary = try ModelSummary(contentsOf: try #require(RealModel.url))
        #expect(summary.architecture == "llama")
        #expect(summary.parameterCount == 134_515_008)
        #expect(summary.formattedParameters == "134.5M")
        #expect(summary.quantization == "Q4_1")
        #expect(summary.contextLength == 8192)
        #expect(summary.tensorCount == 272)
        #expect(summary.fileSizeBytes == 98_362_432)
    }
}

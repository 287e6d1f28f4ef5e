import ArgumentParser

@main
struct AutoScale: ParsableCommand {
    /// The release, printed by `autoscale --version`; CHANGELOG.md lists what each one changed.
    static let version = "0.5.0"

    static let configuration = CommandConfiguration(
        commandName: "autoscale",
        abstract: "Compute-optimal data mixtures for language-model pretraining (DDO + AutoScale).",
        version: AutoScale.version,
        subcommands: [BenchGEMM.self, BenchCommand.self, ClusterCommand.self, FitCommand.self, OptimalCommand.self, Grad.self, CorpusCommand.self, TokenizerCommand.self, DDOCommand.self, MixCommand.self, PredictCommand.self, PipelineCommand.self, TrainCommand.self])
}

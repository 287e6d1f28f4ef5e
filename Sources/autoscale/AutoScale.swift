import ArgumentParser

@main
struct AutoScale: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "autoscale",
        abstract: "Compute-optimal data mixtures for language-model pretraining (DDO + AutoScale).",
        subcommands: [BenchGEMM.self, BenchCommand.self, ClusterCommand.self, FitCommand.self, OptimalCommand.self, Grad.self, CorpusCommand.self, TokenizerCommand.self, DDOCommand.self, PredictCommand.self, PipelineCommand.self, TrainCommand.self])
}

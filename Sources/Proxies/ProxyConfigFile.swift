import Base
import DataMixing
import Foundation
import Training
import Yams

/// Reads a YAML file into its node: one line naming the file when it is missing, unreadable or not YAML.
/// The one prologue of the proxy and pipeline config loaders.
public func readYAML(path: String) throws -> Node? {
    let text: String
    do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
        throw DataMixingError.invalidInput(location: path, message: FileManager.default.fileExists(atPath: path)
            ? "cannot read the file" : "no such file")
    }
    do { return try Yams.compose(yaml: text) } catch {
        throw DataMixingError.invalidInput(location: path, message:
            "not valid YAML: \(error)".split(separator: "\n").first.map(String.init) ?? "not valid YAML")
    }
}

extension ProxyConfig {
    /// Reads a proxy config file (YAML; see `Docs/examples/proxy-tiny.yaml`). Errors are one line naming the
    /// file and key.
    public static func load(path: String) throws -> ProxyConfig {
        guard let node = try readYAML(path: path) else {
            throw DataMixingError.invalidInput(location: path, message: "expected a mapping of keys (see Docs/examples/proxy-tiny.yaml)")
        }
        return try ProxyConfig(yaml: node, location: path)
    }

    /// A proxy config from a YAML mapping: the proxy keys into ``ProxyConfig/Settings``, the rest (with
    /// `steps` supplied per run) into a ``TrainingRecipe``. `location` (a file, or `file: key`) prefixes errors.
    public init(yaml node: Node, location: String) throws {
        func fail(_ message: String) -> DataMixingError { .invalidInput(location: location, message: message) }
        guard case .mapping(var recipeMap) = node else { throw fail("expected a mapping of keys (see Docs/examples/proxy-tiny.yaml)") }
        guard recipeMap["steps"] == nil else { throw fail("steps: not allowed; each run's steps follow from its tokens") }
        var proxyMap = Node.Mapping([])
        for key in Settings.keys {
            if let v = recipeMap[key] { proxyMap[key] = v; recipeMap[key] = nil }
        }
        if case .mapping(let model)? = proxyMap["model"],
           let unknown = model.keys.compactMap(\.string).first(where: { !Model.keys.contains($0) }) {
            throw fail("model.\(unknown): unknown key (expected one of \(Model.keys.joined(separator: ", ")))")
        }
        recipeMap["steps"] = Node("1")
        do {
            let settings = try YAMLDecoder().decode(Settings.self, from: Node.mapping(proxyMap))
            let recipe = try YAMLDecoder().decode(TrainingRecipe.self, from: Node.mapping(recipeMap))
            try self.init(settings: settings, recipe: recipe, source: location)
        } catch let e as FieldError {
            throw fail("\(e.field): \(e.message)")
        } catch let e as DecodingError {
            throw fail(TrainingRecipe.describe(e))
        } catch {
            throw fail("\(error)")
        }
    }
}

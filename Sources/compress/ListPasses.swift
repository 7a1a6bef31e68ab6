import ArgumentParser
import Foundation
import ModelCompression

/// `compress passes`: every pass with its parameters and defaults.
struct ListPasses: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "passes", abstract: "List the passes, their parameters and defaults.")

  @Flag(help: "Print JSON instead of text.")
  var json = false

  func run() throws {
    let descriptions = PassRegistry.standard.descriptions
    if json {
      let encoder = JSONEncoder()
      encoder.keyEncodingStrategy = .convertToSnakeCase
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
      Terminal.standardOutput(String(decoding: try encoder.encode(descriptions), as: UTF8.self))
      return
    }
    for pass in descriptions {
      let calibration = pass.needsCalibration ? "needs calibration" : "no calibration"
      Terminal.standardOutput("\(pass.name) — \(pass.summary) (\(calibration))")
      for parameter in pass.parameters {
        Terminal.standardOutput(
          "    \(parameter.name)=\(parameter.defaultValue)".padding(toLength: 26, withPad: " ", startingAt: 0)
            + parameter.summary)
      }
    }
  }
}

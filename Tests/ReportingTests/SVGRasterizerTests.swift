@testable import Charts
import Foundation
import Testing

@Suite("PNG copies through rsvg-convert")
struct SVGRasterizerTests {
    static let hasTool = SVGRasterizer.toolPath() != nil

    @Test("a chart becomes a PNG (checked by its signature)",
          .enabled(if: hasTool, "rsvg-convert is not on PATH; install librsvg2-bin to test the PNG copies"))
    func png() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("charts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let svg = folder.appendingPathComponent("scatter.svg")
        let points = [ScatterPoint(truth: 100, prediction: 105, label: "a"), ScatterPoint(truth: 50, prediction: 80, label: "b & <c>")]
        try Data(ScatterChart.svg(points: points, title: "t", tolerance: ChartTolerance(relative: 0.1)).utf8).write(to: svg)
        let png = try SVGRasterizer.png(svg: svg, to: folder.appendingPathComponent("scatter.png")).get()
        let bytes = try Data(contentsOf: png)
        #expect(Array(bytes.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        // Width and height (the IHDR chunk) are the SVG's.
        let width = bytes[16..<20].reduce(0) { $0 << 8 | Int($1) }, height = bytes[20..<24].reduce(0) { $0 << 8 | Int($1) }
        #expect(width == Int(ScatterChart.width) && height == Int(ScatterChart.height))
    }

    @Test("a file that is not SVG gives a reason and leaves no PNG",
          .enabled(if: hasTool, "rsvg-convert is not on PATH; install librsvg2-bin to test the PNG copies"))
    func failure() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("charts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let svg = folder.appendingPathComponent("broken.svg"), png = folder.appendingPathComponent("broken.png")
        try Data("not an svg".utf8).write(to: svg)
        let result = SVGRasterizer.png(svg: svg, to: png)
        guard case .failure(let reason) = result else { Issue.record("expected a failure, got \(result)"); return }
        #expect(reason.description.contains("broken.svg") && reason.description.contains("rsvg-convert failed"))
        #expect(!FileManager.default.fileExists(atPath: png.path))
    }

    @Test("without rsvg-convert on PATH the reason says what to install")
    func missingTool() {
        #expect(SVGRasterizer.toolPath(environment: ["PATH": "/nonexistent-\(UUID().uuidString)"]) == nil)
        #expect(RasterizeError.toolMissing.description.contains("librsvg2-bin"))
    }
}

@testable import Reporting
import Testing

@Suite("report formatting: numbers, shares, durations, commands")
struct ReportFormatTests {
    @Test("numbers to sensible precision", arguments: [
        (0.0, "0"), (0.012345, "0.0123"), (0.5, "0.5"), (40.1, "40.10"), (-5.1, "−5.10"), (123.456, "123.5"),
        (1234.56, "1,234.6"), (12345.6, "12,346"), (1_234_567, "1,234,567"),
    ])
    func number(value: Double, text: String) {
        #expect(ReportFormat.number(value) == text)
    }

    @Test("shares, changes and durations")
    func sharesAndDurations() {
        #expect(ReportFormat.percent(0.62) == "62 %" && ReportFormat.percent(0.625) == "62.5 %" && ReportFormat.percent(1) == "100 %")
        #expect(ReportFormat.change(0.38, isFraction: true) == "+38 pp" && ReportFormat.change(-5.1, isFraction: false) == "−5.10")
        #expect(ReportFormat.relative(-0.127) == "−12.7 %")
        #expect(ReportFormat.duration(38) == "38 s" && ReportFormat.duration(2526) == "42 min 6 s" && ReportFormat.duration(7500) == "2 h 5 min")
        #expect(ReportFormat.json(0.0010000000474974513) == "0.001" && ReportFormat.json(["a", "b"]) == "a, b" && ReportFormat.json(true) == "yes")
    }

    @Test("the input file of a prepare command, quoted or after options")
    func preparedInput() {
        #expect(ReportSections.preparedInput("finetune prepare 'my items.csv' --template t.yaml -o p.jsonl") == "my items.csv")
        #expect(ReportSections.preparedInput("finetune prepare --template t.yaml items.csv") == "items.csv")
        #expect(ReportSections.preparedInput("finetune prepare --template=t.yaml \"a b.csv\"") == "a b.csv")
        #expect(ReportSections.preparedInput("finetune train x.jsonl") == nil)
    }
}

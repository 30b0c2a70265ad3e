import Testing
@testable import ChatDataset

@Suite("RecordFilter parses --where FIELD OP VALUE and tests records")
struct RecordFilterTests {
    let record: JSONValue

    init() throws {
        record = try JSONValue(parsing: #"{"title":"USB-C Cable","price":"12.5","stock":10,"category":"books","item":{"weight":"9"},"gone":null}"#)
    }

    @Test("expressions parse into field, operator and unquoted value", arguments: [
        ("price > 10", "price", RecordFilter.Operator.greater, "10"),
        ("price>=10", "price", .greaterOrEqual, "10"),
        ("  stock <= 3 ", "stock", .lessOrEqual, "3"),
        (#"title ~ "usb""#, "title", .contains, "usb"),
        ("title == 'Desk lamp'", "title", .equal, "Desk lamp"),
        (#"category != """#, "category", .notEqual, ""),
        ("item.weight < 10", "item.weight", .less, "10"),
        ("price > -3", "price", .greater, "-3"),
    ])
    func parsing(text: String, field: String, op: RecordFilter.Operator, value: String) throws {
        let filter = try RecordFilter(parsing: text)
        #expect(filter.field == field)
        #expect(filter.op == op)
        #expect(filter.value == value)
        #expect(filter.expression == text.trimmingCharacters(in: .whitespaces))
    }

    @Test("records are compared numerically when both sides are numbers, as text otherwise", arguments: [
        ("price > 9", RecordFilter.Outcome.passed),   // numeric: 12.5 > 9 (as text "12.5" < "9")
        ("price < 100", .passed),                     // numeric: as text "12.5" < "100" would fail
        ("price == 12.50", .passed),
        ("stock >= 10", .passed),
        ("stock != 10.0", .rejected),
        ("stock < 10", .rejected),
        ("category > azure", .passed),                // text: "books" > "azure"
        ("category == Books", .rejected),             // == is exact for text
        ("title ~ usb-c", .passed),                   // ~ ignores case
        ("title ~ lightning", .rejected),
        ("stock ~ 1", .passed),                       // ~ reads numbers as written
        ("item.weight <= 9", .passed),
        ("missing > 1", .missingField),
        ("gone == x", .missingField),
        ("item.height > 1", .missingField),
    ])
    func evaluation(text: String, expected: RecordFilter.Outcome) throws {
        #expect(try RecordFilter(parsing: text).evaluate(record) == expected)
    }

    @Test("invalid expressions say what is wrong and show the accepted form", arguments: [
        ("price = 3", "'=' is not an operator (write '==' to test equality)"),
        ("price 3", "no comparison operator"),
        ("> 3", "the field name before '>' is missing"),
        ("price >", "the value after '>' is missing (write \"\" to compare with an empty value)"),
        ("unit price > 3", "the field name 'unit price' contains a space"),
        ("price => 3", "'=>' is not an operator (write '>=')"),
        ("price >== 3", "'>==' is not an operator (quote a value that starts with '=')"),
    ])
    func invalid(text: String, problem: String) throws {
        let error = #expect(throws: DatasetError.self) { try RecordFilter(parsing: text) }
        #expect(error == .invalidArgument("--where '\(text)': \(problem); expected FIELD OP VALUE with OP one of ==, !=, >, >=, <, <=, ~ (contains, ignoring case), for example --where 'price > 10' or --where 'title ~ \"usb\"'"))
    }

    @Test("decimal numbers exclude hexadecimal, nan and infinity")
    func decimalNumbers() {
        #expect(decimalNumber(" 12.5 ") == 12.5)
        #expect(decimalNumber("-3e2") == -300)
        #expect(decimalNumber("0x10") == nil)
        #expect(decimalNumber("nan") == nil)
        #expect(decimalNumber("inf") == nil)
        #expect(decimalNumber("12 kg") == nil)
        #expect(decimalNumber("") == nil)
    }
}

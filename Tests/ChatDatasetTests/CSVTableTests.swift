import Foundation
import Testing
@testable import ChatDataset

@Suite("CSVTable reads RFC 4180 CSV and says where a malformed record is")
struct CSVTableTests {
    @Test("quoted fields keep commas, line breaks and doubled quotes; CRLF and a BOM are accepted")
    func quotedFields() throws {
        let text = "\u{FEFF}title,description,price\r\n\"USB-C cable, 2 m\",\"Braided.\r\nFits \"\"all\"\" phones\",12.5\r\nDesk lamp,LED lamp,30\r\n"
        let table = try CSVTable(parsing: text, path: "items.csv")
        #expect(table.header == ["title", "description", "price"])
        #expect(table.rows == [
            CSVTable.Row(fields: ["USB-C cable, 2 m", "Braided.\nFits \"all\" phones", "12.5"], line: 2),
            CSVTable.Row(fields: ["Desk lamp", "LED lamp", "30"], line: 4),
        ])
    }

    @Test("the fixture file reads the same through the line reader, with physical line numbers")
    func fixtureFile() throws {
        let table = try CSVTable(path: PrepareFixtures.path("items.csv"))
        #expect(table.header == ["title", "description", "price"])
        #expect(table.rows.map(\.line) == [2, 4, 5, 6, 7])
        #expect(table.rows[0].fields[1] == "Braided.\nFits \"all\" phones")
        #expect(table.rows[2].fields == ["Mystery box", "", "5"])
        #expect(table.rows[3].fields == ["Broken chair", "Needs glue"])
        #expect(table.rows[4].fields == ["Tea, green", "Loose leaf", "4.999"])
    }

    @Test("empty fields, a trailing comma and a last line without a newline are read")
    func emptyFields() throws {
        let table = try CSVTable(parsing: "a,b,c\n,,\n1,\"\",\n2,x,y", path: "t.csv")
        #expect(table.rows.map(\.fields) == [["", "", ""], ["1", "", ""], ["2", "x", "y"]])
    }

    @Test("blank lines between records are skipped and later records keep their line numbers")
    func blankLines() throws {
        let table = try CSVTable(parsing: "a,b\n\n1,2\n   \n3,4\n\n", path: "t.csv")
        #expect(table.rows == [CSVTable.Row(fields: ["1", "2"], line: 3), CSVTable.Row(fields: ["3", "4"], line: 5)])
    }

    @Test("a blank line inside a quoted field belongs to the field")
    func blankLineInsideQuotes() throws {
        let table = try CSVTable(parsing: "a,b\n\"x\n\ny\",2\n", path: "t.csv")
        #expect(table.rows == [CSVTable.Row(fields: ["x\n\ny", "2"], line: 2)])
    }

    @Test("header names are trimmed")
    func trimmedHeader() throws {
        let table = try CSVTable(parsing: " title , price\nLamp,3\n", path: "t.csv")
        #expect(table.header == ["title", "price"])
    }

    @Test("a row with fewer fields than the header keeps what it has")
    func shortRow() throws {
        let table = try CSVTable(parsing: "a,b,c\n1\n", path: "t.csv")
        #expect(table.rows == [CSVTable.Row(fields: ["1"], line: 2)])
    }

    @Test("an unterminated quoted field names the line where it starts")
    func unterminatedQuote() throws {
        let error = #expect(throws: DatasetError.self) {
            try CSVTable(path: PrepareFixtures.path("unterminated.csv"))
        }
        let path = PrepareFixtures.path("unterminated.csv")
        #expect(error == .invalidInput(path: path, line: 3, message: "the quoted field 2 ('description') starts at line 3 and is never closed; the file may be truncated, or a quote inside the field is not doubled"))
        #expect(error?.description == "\(path):3: the quoted field 2 ('description') starts at line 3 and is never closed; the file may be truncated, or a quote inside the field is not doubled")
    }

    @Test("a row with more fields than the header names the line and both counts")
    func tooManyFields() throws {
        let path = PrepareFixtures.path("too_many_fields.csv")
        let error = #expect(throws: DatasetError.self) { try CSVTable(path: path) }
        #expect(error == .invalidInput(path: path, line: 3, message: "the record has 4 fields but the header has 3 columns; quote fields that contain commas (\"a, b\"), or add the missing column names to the header"))
    }

    @Test("a quote inside an unquoted field is an error with its line")
    func strayQuote() throws {
        let error = #expect(throws: DatasetError.self) {
            try CSVTable(parsing: "a,b\n1,2\n3,say \"hi\"\n", path: "t.csv")
        }
        guard case .invalidInput(let path, let line, let message)? = error else {
            Issue.record("expected invalidInput, got \(String(describing: error))")
            return
        }
        #expect(path == "t.csv")
        #expect(line == 3)
        #expect(message.hasPrefix("a quote at character 7 is inside the unquoted field 2; wrap the whole field in quotes"))
    }

    @Test("text after a closing quote is an error with its line")
    func textAfterClosingQuote() throws {
        let error = #expect(throws: DatasetError.self) {
            try CSVTable(parsing: "a,b\n\"x\"y,2\n", path: "t.csv")
        }
        guard case .invalidInput(_, let line, let message)? = error else {
            Issue.record("expected invalidInput, got \(String(describing: error))")
            return
        }
        #expect(line == 2)
        #expect(message.contains("after the closing quote of field 1"))
    }

    @Test("duplicate and empty header names are refused", arguments: [
        ("title,price,title\n", "the header names column 'title' twice (columns 1 and 3); rename one of them"),
        ("title,,price\n", "column 2 of the header row has no name; every column needs a distinct name"),
    ])
    func badHeader(text: String, message: String) throws {
        let error = #expect(throws: DatasetError.self) { try CSVTable(parsing: text, path: "t.csv") }
        #expect(error == .invalidInput(path: "t.csv", line: 1, message: message))
    }

    @Test("an empty file has no header row")
    func emptyFile() throws {
        let error = #expect(throws: DatasetError.self) { try CSVTable(parsing: "\n\n", path: "t.csv") }
        #expect(error == .invalidInput(path: "t.csv", line: nil, message: "the file is empty; expected a header row naming the columns, such as title,description,price"))
    }

    @Test("invalid UTF-8 names its line")
    func invalidUTF8() throws {
        let directory = try PrepareFixtures.scratchDirectory()
        let path = directory + "/latin1.csv"
        try Data("title,price\nCaf".utf8 + [0xE9] + Array(",3\n".utf8)).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: DatasetError.self) { try CSVTable(path: path) }
        guard case .invalidInput(_, let line, let message)? = error else {
            Issue.record("expected invalidInput, got \(String(describing: error))")
            return
        }
        #expect(line == 2)
        #expect(message.hasPrefix("invalid UTF-8 at byte 4 of the line; save the file as UTF-8"))
    }

    @Test("a missing file is reported as unreadable")
    func missingFile() throws {
        let error = #expect(throws: DatasetError.self) { try CSVTable(path: "/nonexistent/items.csv") }
        #expect(error == .cannotRead(path: "/nonexistent/items.csv", reason: "no such file; check the path"))
    }
}

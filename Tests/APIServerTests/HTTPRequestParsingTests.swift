import Foundation
import Hummingbird
import HummingbirdTesting
import OpenAIAPI
import Testing
@testable import APIServer

@Suite("Request bodies, queries and paths")
struct HTTPRequestParsingTests {
    @Test("An empty body on a POST decodes as {} (the SDK sends one with Content-Type: application/json)")
    func emptyBody() async throws {
        try await HTTPTestApp.make().test(.router) { client in
            let empty = try await client.execute(uri: "/optional", method: .post, headers: httpJSONHeaders())
            #expect(empty.status == .ok)
            #expect(empty.httpBodyText == "{}")
            let zero = try await client.execute(uri: "/optional", method: .post, headers: httpJSONHeaders(), body: ByteBuffer())
            #expect(zero.status == .ok)
            let filled = try await client.execute(uri: "/optional", method: .post, headers: httpJSONHeaders(),
                                                  body: ByteBuffer(string: #"{"note":"hi","extra":1}"#))
            #expect(filled.httpBodyText == #"{"note":"hi"}"#)
        }
    }

    @Test("An empty body where fields are required names the first missing one")
    func emptyBodyRequired() async throws {
        try await HTTPTestApp.make().test(.router) { client in
            let response = try await client.execute(uri: "/jobs", method: .post, headers: httpJSONHeaders())
            #expect(response.status == .badRequest)
            #expect(try response.httpErrorDetail().param != nil)
        }
    }

    @Test("A body over the limit is a 413 in OpenAI's shape")
    func bodyLimit() async throws {
        try await HTTPTestApp.make().test(.router) { client in
            let big = #"{"note":""# + String(repeating: "x", count: HTTPTestApp.bodyLimit) + #""}"#
            let response = try await client.execute(uri: "/optional", method: .post, headers: httpJSONHeaders(),
                                                    body: ByteBuffer(string: big))
            #expect(response.status == .contentTooLarge)
            #expect(try response.httpErrorDetail().message.contains("\(HTTPTestApp.bodyLimit) bytes"))
            let atLimit = #"{"note":""# + String(repeating: "x", count: HTTPTestApp.bodyLimit - 11) + #""}"#
            #expect(atLimit.utf8.count == HTTPTestApp.bodyLimit)
            let fits = try await client.execute(uri: "/optional", method: .post, body: ByteBuffer(string: atLimit))
            #expect(fits.status == .ok)
        }
    }

    @Test("Hummingbird's own too-many-bytes error becomes a JSON 413")
    func nioTooManyBytes() async throws {
        try await HTTPTestApp.make().test(.router) { client in
            let response = try await client.execute(uri: "/collect", method: .post, body: ByteBuffer(string: "0123456789"))
            #expect(response.status == .contentTooLarge)
            #expect(try response.httpErrorDetail().type == "invalid_request_error")
        }
    }

    @Test("limit, after and order are read from the query")
    func pagination() async throws {
        try await HTTPTestApp.make().test(.router) { client in
            let defaults = try await client.execute(uri: "/page", method: .get)
            #expect(try defaults.httpJSONObject() == ["limit": "20", "after": "-", "asc": "false"])
            let given = try await client.execute(uri: "/page?limit=5&after=ftjob-abc&order=asc", method: .get)
            #expect(try given.httpJSONObject() == ["limit": "5", "after": "ftjob-abc", "asc": "true"])
            let desc = try await client.execute(uri: "/page?order=desc&limit=100", method: .get)
            #expect(try desc.httpJSONObject() == ["limit": "100", "after": "-", "asc": "false"])
        }
    }

    @Test("A bad limit or order is a 400 naming it", arguments: [
        ("limit=0", "limit"), ("limit=-1", "limit"), ("limit=abc", "limit"), ("limit=101", "limit"), ("limit=2.5", "limit"),
        ("order=newest", "order"),
    ])
    func badPagination(_ query: String, _ param: String) async throws {
        try await HTTPTestApp.make().test(.router) { client in
            let response = try await client.execute(uri: "/page?\(query)", method: .get)
            #expect(response.status == .badRequest)
            #expect(try response.httpErrorDetail().param == param)
        }
    }

    @Test("metadata[k]=v pairs, metadata=null, and nothing", arguments: [
        ("", MetadataFilter.none),
        ("limit=3", MetadataFilter.none),
        ("metadata=null", MetadataFilter.isNull),
        ("metadata%5Bteam%5D=ml&metadata%5Brun%5D=&limit=2", MetadataFilter.pairs(["team": "ml", "run": ""])),
        ("metadata[a%20b]=x+y%2Fz", MetadataFilter.pairs(["a b": "x y/z"])),
        ("metadata=other", MetadataFilter.none),
    ])
    func metadata(_ query: String, _ expected: MetadataFilter) {
        #expect(metadataFilter(QueryParameters(query: query)) == expected)
    }

    @Test("Query names and values are percent-decoded")
    func queryDecoding() {
        let query = QueryParameters(query: "purpose=fine-tune&after=file%2D1&flag&x=a%3Db")
        #expect(query["purpose"] == "fine-tune")
        #expect(query["after"] == "file-1")
        #expect(query["flag"] == "")
        #expect(query["x"] == "a=b")
        #expect(query["missing"] == nil)
    }

    @Test("Model ids with %2F and : reach the handler whole", arguments: [
        ("/v1/models/ft%3Asmollm2%2F135m%3Alocal%3Apricer%3Aab12CD34", "ft:smollm2/135m:local:pricer:ab12CD34"),
        ("/v1/models/ft:smollm2-135m:local::ab12CD34", "ft:smollm2-135m:local::ab12CD34"),
        ("/v1/models/org%2Fmodel", "org/model"),
        ("/v1/models/org/model", "org/model"),
        ("/v1/models/smollm2-135m-instruct", "smollm2-135m-instruct"),
    ])
    func modelIDs(_ uri: String, _ expected: String) async throws {
        try await HTTPTestApp.make().test(.router) { client in
            let response = try await client.execute(uri: uri, method: .get)
            #expect(response.status == .ok)
            #expect(try response.httpJSONObject()["id"] == .string(expected))
        }
    }

    @Test("The model list route is still separate from the catch-all")
    func modelList() async throws {
        try await HTTPTestApp.make().test(.router) { client in
            let response = try await client.execute(uri: "/v1/models", method: .get)
            #expect(response.status == .ok)
            #expect(try response.httpJSONObject()["object"] == "list")
        }
    }

    @Test("Named path parameters are percent-decoded")
    func pathParameters() async throws {
        try await HTTPTestApp.make().test(.router) { client in
            let response = try await client.execute(uri: "/v1/files/file%2Dabc%3A1", method: .get)
            #expect(try response.httpJSONObject()["id"] == "file-abc:1")
        }
    }
}

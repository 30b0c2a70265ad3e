import Foundation
import Hummingbird
import HummingbirdTesting
import OpenAIAPI
import Testing
@testable import APIServer

@Suite("Auth and request-id middleware")
struct HTTPMiddlewareTests {
    static let key = "sk-test-123"

    @Test("Without configured keys every request passes")
    func noKeys() async throws {
        try await HTTPTestApp.make().test(.router) { client in
            let response = try await client.execute(uri: "/ok", method: .get)
            #expect(response.status == .ok)
        }
    }

    @Test("A missing Authorization header is a 401")
    func missingHeader() async throws {
        try await HTTPTestApp.make(keys: [Self.key]).test(.router) { client in
            let response = try await client.execute(uri: "/ok", method: .get)
            #expect(response.status == .unauthorized)
            let detail = try response.httpErrorDetail()
            #expect(detail.message.contains("Missing bearer authentication"))
            #expect(detail.type == "invalid_request_error")
            #expect(response.headers[.requestID] != nil)
        }
    }

    @Test("A wrong key is a 401 with code invalid_api_key", arguments: ["Bearer sk-wrong", "Bearer sk-test-12", "Bearer sk-test-1234", "Basic c2stdGVzdA==", "Bearer "])
    func wrongKey(_ header: String) async throws {
        try await HTTPTestApp.make(keys: [Self.key]).test(.router) { client in
            var headers = HTTPFields()
            headers[.authorization] = header
            let response = try await client.execute(uri: "/ok", method: .get, headers: headers)
            #expect(response.status == .unauthorized)
        }
    }

    @Test("The right key passes, with the scheme in any case")
    func rightKey() async throws {
        try await HTTPTestApp.make(keys: ["other", Self.key]).test(.router) { client in
            let right = try await client.execute(uri: "/ok", method: .get, headers: httpJSONHeaders(key: Self.key))
            #expect(right.status == .ok)
            var headers = HTTPFields()
            headers[.authorization] = "bearer \(Self.key)"
            let lowercase = try await client.execute(uri: "/ok", method: .get, headers: headers)
            #expect(lowercase.status == .ok)
            let wrong = try await client.execute(uri: "/ok", method: .get, headers: httpJSONHeaders(key: "nope"))
            #expect(try wrong.httpErrorDetail().code == "invalid_api_key")
        }
    }

    @Test("/health needs no key")
    func healthExempt() async throws {
        try await HTTPTestApp.make(keys: [Self.key]).test(.router) { client in
            let response = try await client.execute(uri: "/health", method: .get)
            #expect(response.status == .ok)
        }
    }

    @Test("Unknown routes still need a key")
    func unknownRouteNeedsKey() async throws {
        try await HTTPTestApp.make(keys: [Self.key]).test(.router) { client in
            let anonymous = try await client.execute(uri: "/v1/nothing", method: .get)
            #expect(anonymous.status == .unauthorized)
            let authorized = try await client.execute(uri: "/v1/nothing", method: .get, headers: httpJSONHeaders(key: Self.key))
            #expect(authorized.status == .notFound)
        }
    }

    @Test("Every response carries a fresh x-request-id, and one log line per request")
    func requestID() async throws {
        let logs = HTTPLogCapture()
        try await HTTPTestApp.make(logs: logs).test(.router) { client in
            let first = try await client.execute(uri: "/ok", method: .get)
            let second = try await client.execute(uri: "/api-error", method: .get)
            let firstID = try #require(first.headers[.requestID])
            let secondID = try #require(second.headers[.requestID])
            #expect(firstID != secondID)
            for id in [firstID, secondID] {
                #expect(id.hasPrefix("req_"))
                #expect(id.count == 28)
                #expect(id.dropFirst(4).allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) })
            }
            let lines = logs.entries.filter { $0.level == .info }.map(\.message)
            #expect(lines.count == 2)
            #expect(lines.first?.hasPrefix("GET /ok 200 ") == true)
            #expect(lines.first?.hasSuffix("ms \(firstID)") == true)
            #expect(lines.last?.hasPrefix("GET /api-error 404 ") == true)
        }
    }

    @Test("Successful JSON responses are application/json with the given status")
    func jsonContentType() async throws {
        try await HTTPTestApp.make().test(.router) { client in
            let response = try await client.execute(uri: "/created", method: .post)
            #expect(response.status == .created)
            #expect(response.headers[.contentType] == "application/json")
            #expect(response.httpBodyText == #"{"deleted":true,"id":"x","object":"file"}"#)
            let ok = try await client.execute(uri: "/ok", method: .get)
            #expect(ok.httpBodyText.contains(#""id":"m/with/slash""#))
        }
    }

    @Test("Keys are compared whole")
    func constantTimeEquals() {
        typealias Auth = AuthMiddleware<BasicRequestContext>
        #expect(Auth.constantTimeEquals(Array("abc".utf8), Array("abc".utf8)))
        #expect(!Auth.constantTimeEquals(Array("abc".utf8), Array("abd".utf8)))
        #expect(!Auth.constantTimeEquals(Array("abc".utf8), Array("abcd".utf8)))
        #expect(!Auth.constantTimeEquals([], Array("a".utf8)))
        #expect(Auth.bearerToken("Bearer  tok") == "tok")
        #expect(Auth.bearerToken("Token tok") == nil)
    }
}

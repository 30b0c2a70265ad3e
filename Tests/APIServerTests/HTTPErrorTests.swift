import Foundation
import Hummingbird
import HummingbirdTesting
import OpenAIAPI
import Testing
@testable import APIServer

@Suite("HTTP errors in OpenAI's shape")
struct HTTPErrorTests {
    @Test("A thrown APIError keeps its status, message, param and code, as JSON")
    func apiError() async throws {
        try await HTTPTestApp.make().test(.router) { client in
            let response = try await client.execute(uri: "/api-error", method: .get)
            #expect(response.status == .notFound)
            #expect(response.headers[.contentType] == "application/json")
            let detail = try response.httpErrorDetail()
            #expect(detail == APIErrorDetail(message: "No such file: 'file-x'", type: "invalid_request_error",
                                             param: "file_id", code: "file_not_found"))
        }
    }

    @Test("param and code are present as null when unset")
    func explicitNulls() async throws {
        try await HTTPTestApp.make().test(.router) { client in
            let response = try await client.execute(uri: "/http-error", method: .get)
            #expect(response.status == .badRequest)
            let error = try #require(try response.httpJSONObject()["error"]?.objectValue)
            #expect(Set(error.keys) == ["message", "type", "param", "code"])
            #expect(error["param"] == .null)
            #expect(error["code"] == .null)
            #expect(error["message"] == "Bad thing happened")
        }
    }

    @Test("An unknown error is a 500 that names the request id but not the Swift error")
    func unknownError() async throws {
        let logs = HTTPLogCapture()
        try await HTTPTestApp.make(logs: logs).test(.router) { client in
            let response = try await client.execute(uri: "/boom", method: .get)
            #expect(response.status == .internalServerError)
            let detail = try response.httpErrorDetail()
            #expect(detail.type == "server_error")
            let requestID = try #require(response.headers[.requestID])
            #expect(detail.message.contains(requestID))
            #expect(!response.httpBodyText.contains("SecretInternalFailure"))
            #expect(!response.httpBodyText.contains("HTTPTestApp"))
        }
        #expect(logs.entries.contains { $0.level == .error && $0.message.contains("SecretInternalFailure") })
    }

    @Test("An unknown route is a JSON 404 naming the method and path")
    func unknownRoute() async throws {
        try await HTTPTestApp.make().test(.router) { client in
            let response = try await client.execute(uri: "/v1/xyz?limit=3", method: .get)
            #expect(response.status == .notFound)
            #expect(response.headers[.contentType] == "application/json")
            let detail = try response.httpErrorDetail()
            #expect(detail.message.hasPrefix("Unknown request URL: GET /v1/xyz"))
            #expect(detail.type == "invalid_request_error")
            #expect(detail.code == "unknown_url")
            #expect(response.headers[.requestID] != nil)
        }
    }

    @Test("A known path with another method is a JSON 404 too")
    func wrongMethod() async throws {
        try await HTTPTestApp.make().test(.router) { client in
            let response = try await client.execute(uri: "/ok", method: .delete)
            #expect(response.status == .notFound)
            #expect(try response.httpErrorDetail().message.hasPrefix("Unknown request URL: DELETE /ok"))
        }
    }

    @Test("A RequestValidationError is a 400 with its param and code")
    func validationError() async throws {
        try await HTTPTestApp.make().test(.router) { client in
            let response = try await client.execute(uri: "/validation", method: .get)
            #expect(response.status == .badRequest)
            #expect(try response.httpErrorDetail() == APIErrorDetail(
                message: "Nope", type: "invalid_request_error", param: "method.type", code: "unsupported"))
        }
    }

    @Test("A body that does not fit is a 400 naming the parameter path")
    func decodingErrors() async throws {
        try await HTTPTestApp.make().test(.router) { client in
            let missing = try await client.execute(uri: "/jobs", method: .post, headers: httpJSONHeaders(),
                                                   body: ByteBuffer(string: #"{"model":"m"}"#))
            #expect(missing.status == .badRequest)
            #expect(try missing.httpErrorDetail().param == "training_file")
            #expect(try missing.httpErrorDetail().message.contains("training_file"))

            let wrongType = try await client.execute(uri: "/jobs", method: .post, headers: httpJSONHeaders(),
                                                     body: ByteBuffer(string: #"{"model":"m","training_file":7}"#))
            #expect(wrongType.status == .badRequest)
            let wrongTypeDetail = try wrongType.httpErrorDetail()
            #expect(wrongTypeDetail.param == "training_file")
            #expect(wrongTypeDetail.message.contains("a string"))
            #expect(!wrongTypeDetail.message.contains("Swift"))

            let auto = try await client.execute(
                uri: "/jobs", method: .post, headers: httpJSONHeaders(),
                body: ByteBuffer(string: #"{"model":"m","training_file":"f","hyperparameters":{"n_epochs":"lots"}}"#))
            #expect(auto.status == .badRequest)
            #expect(try auto.httpErrorDetail().param == "hyperparameters.n_epochs")

            let notJSON = try await client.execute(uri: "/jobs", method: .post, headers: httpJSONHeaders(),
                                                   body: ByteBuffer(string: "model=m"))
            #expect(notJSON.status == .badRequest)
            #expect(try notJSON.httpErrorDetail().message.hasPrefix("The request body is not valid JSON"))
            #expect(try notJSON.httpErrorDetail().param == nil)
        }
    }

    @Test("Request validation runs after decoding and reports 400")
    func requestValidation() async throws {
        try await HTTPTestApp.make().test(.router) { client in
            let response = try await client.execute(
                uri: "/jobs", method: .post, headers: httpJSONHeaders(),
                body: ByteBuffer(string: #"{"model":"m","training_file":"f","suffix":"a:b"}"#))
            #expect(response.status == .badRequest)
            #expect(try response.httpErrorDetail().param == "suffix")
        }
    }

    @Test("Array indexes in parameter paths are written in brackets")
    func parameterPath() throws {
        struct Wrapper: Decodable { var messages: [ChatCompletionMessage] }
        let error = try #require(throws: DecodingError.self) {
            try OpenAIJSON.decoder().decode(Wrapper.self, from: Data(#"{"messages":[{"role":"user"},{"content":"x"}]}"#.utf8))
        }
        let apiError = APIError.decoding(error)
        #expect(apiError.param == "messages.[1].role")
        #expect(apiError.status == .badRequest)
    }

    @Test("Status decides the error type")
    func errorTypes() {
        #expect(APIError.badRequest("x").type == "invalid_request_error")
        #expect(APIError.unauthorized("x").status == .unauthorized)
        #expect(APIError.forbidden("x", code: "c").status == .forbidden)
        #expect(APIError.payloadTooLarge("x").status == .contentTooLarge)
        #expect(APIError.internalError(requestID: "req_1").type == "server_error")
        #expect(APIError.internalError(requestID: "req_1").message.contains("req_1"))
    }
}

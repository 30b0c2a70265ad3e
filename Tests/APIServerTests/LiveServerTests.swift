import Foundation
import Hummingbird
import HummingbirdTesting
import OpenAIAPI
import Testing
@testable import APIServer

@Suite("the server on a real socket, with API keys")
struct LiveServerTests {
    @Test("over TCP: health without a key, 401 in OpenAI's shape without or with a wrong key, 200 with the key")
    func liveSocket() async throws {
        let server = try ServerFixture.make(apiKeys: ["sk-test"])
        var app = Application(router: server.router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        app.addServices(JobSchedulerService(scheduler: server.components.scheduler))
        try await app.test(.live) { client in
            let health = try await client.request(.get, "/health")
            #expect(health.status == .ok)
            #expect(health.headers[.init("x-request-id")!] != nil)

            let missing = try await client.request(.get, "/v1/models")
            #expect(missing.status == .unauthorized)
            #expect(missing.headers[.contentType] == "application/json")
            let error = try #require(missing.apiError)
            #expect(error.type == "invalid_request_error")
            #expect(missing.text.contains(#""param":null"#))
            #expect(missing.text.contains(#""code""#))
            #expect(missing.headers[.init("x-request-id")!] != nil)

            #expect(try await client.request(.get, "/v1/models", key: "sk-wrong").status == .unauthorized)

            let models = try await client.request(.get, "/v1/models", key: "sk-test")
            #expect(models.status == .ok)
            let list = try models.decode(ModelList.self)
            #expect(list.object == "list")
            if ServerFixture.realModel != nil { #expect(list.data.contains { $0.id == ServerFixture.baseModel }) }

            let unknownRoute = try await client.request(.get, "/v1/nothing-here", key: "sk-test")
            #expect(unknownRoute.status == .notFound)
            #expect(unknownRoute.apiError != nil)

            let file = try await client.upload(ServerData.train, key: "sk-test")
            #expect(file.status == .ok)
            let id = try file.decode(FileObject.self).id
            let content = try await client.request(.get, "/v1/files/\(id)/content", key: "sk-test")
            #expect(content.text == ServerData.train)
        }
    }
}

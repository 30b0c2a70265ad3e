import Foundation
import Testing
@testable import OpenAIAPI

/// Fields the SDK marks required or nullable-but-present must be in the JSON, as `null` when unset.
@Suite("Explicit nulls in responses")
struct NullEmissionTests {
    @Test("An error body has all four keys")
    func errorBody() throws {
        let body = APIErrorResponse(error: APIErrorDetail(message: "No such file", type: "invalid_request_error"))
        #expect(try json(body) == #"{"error":{"code":null,"message":"No such file","param":null,"type":"invalid_request_error"}}"#)
    }

    @Test("A list page emits has_more, first_id and last_id")
    func listPage() throws {
        let empty = ListPage<Model>(data: [], hasMore: false)
        #expect(try json(empty) == #"{"data":[],"first_id":null,"has_more":false,"last_id":null,"object":"list"}"#)
        let models = [Model(id: "a", created: 1, ownedBy: "system"), Model(id: "b", created: 2, ownedBy: "system")]
        let page = ListPage(data: models, hasMore: true)
        #expect(page.firstID == "a")
        #expect(page.lastID == "b")
        #expect(try decode(ListPage<Model>.self, try json(page)) == page)
    }

    @Test("A file emits status_details and expires_at, and leaves Together keys out when unset")
    func file() throws {
        let file = FileObject(id: "file-1", bytes: 10, createdAt: 1_700_000_000, filename: "a.jsonl", purpose: "fine-tune", status: .processed)
        #expect(try json(file) == #"{"bytes":10,"created_at":1700000000,"expires_at":null,"filename":"a.jsonl","id":"file-1","object":"file","purpose":"fine-tune","status":"processed","status_details":null}"#)
        var together = file
        together.fileType = "jsonl"
        together.processingStatus = "COMPLETED"
        let object = try jsonObject(together)
        #expect(object["FileType"] == "jsonl")
        #expect(object["processing_status"] == "COMPLETED")
        #expect(try decode(FileObject.self, try json(together)) == together)
    }

    @Test("A fresh job emits every key, nil ones as null")
    func job() throws {
        let job = FineTuningJob(
            id: "ftjob-1", createdAt: 5, model: "smollm2", organizationID: "org-local", status: "validating_files",
            trainingFile: "file-1", hyperparameters: JobHyperparameters(), seed: 42)
        let object = try jsonObject(job)
        let expectedKeys: Set<String> = [
            "id", "object", "created_at", "model", "organization_id", "status", "training_file", "validation_file",
            "hyperparameters", "method", "seed", "result_files", "fine_tuned_model", "finished_at", "trained_tokens",
            "error", "estimated_finish", "integrations", "metadata", "user_provided_suffix",
        ]
        #expect(Set(object.keys) == expectedKeys)
        for key in ["validation_file", "fine_tuned_model", "finished_at", "trained_tokens", "error", "estimated_finish",
                    "integrations", "metadata", "user_provided_suffix"] {
            #expect(object[key] == .null, "\(key) should be null")
        }
        #expect(object["object"] == "fine_tuning.job")
        #expect(object["result_files"] == [])
        #expect(object["hyperparameters"] == ["n_epochs": "auto", "batch_size": "auto", "learning_rate_multiplier": "auto"])
        #expect(object["method"] == ["type": "supervised", "supervised": ["hyperparameters": ["n_epochs": "auto", "batch_size": "auto", "learning_rate_multiplier": "auto"]]])
    }

    @Test("A finished job round-trips, with resolved numbers and an error")
    func finishedJob() throws {
        let hyper = JobHyperparameters(nEpochs: .value(3), batchSize: .value(1), learningRateMultiplier: .value(2))
        let job = FineTuningJob(
            id: "ftjob-2", createdAt: 5, model: "smollm2", organizationID: "org-local", status: "failed",
            trainingFile: "file-1", validationFile: "file-2", hyperparameters: hyper, seed: 7, finishedAt: 9,
            error: FineTuningJobError(code: "invalid_training_file", message: "Line 4: invalid JSON"),
            integrations: [["type": "wandb", "wandb": ["project": "p"]]], metadata: ["k": "v"], userProvidedSuffix: "s")
        let text = try json(job)
        #expect(text.contains(#""hyperparameters":{"batch_size":1,"learning_rate_multiplier":2,"n_epochs":3}"#))
        #expect(text.contains(#""error":{"code":"invalid_training_file","message":"Line 4: invalid JSON","param":null}"#))
        #expect(try decode(FineTuningJob.self, text) == job)
    }

    @Test("An event emits data as null; a metrics event keeps its numbers")
    func event() throws {
        let event = FineTuningJobEvent(id: "ftevent-1", createdAt: 3, message: "Created fine-tuning job: ftjob-1")
        #expect(try json(event) == #"{"created_at":3,"data":null,"id":"ftevent-1","level":"info","message":"Created fine-tuning job: ftjob-1","object":"fine_tuning.job.event","type":"message"}"#)
        let metrics = FineTuningJobEvent(id: "ftevent-2", createdAt: 4, message: "Step 1/10: training loss=1.25", type: "metrics",
                                         data: ["step": 1, "train_loss": 1.25, "total_steps": 10])
        #expect(try json(metrics).contains(#""data":{"step":1,"total_steps":10,"train_loss":1.25}"#))
        #expect(try decode(FineTuningJobEvent.self, try json(metrics)) == metrics)
    }

    @Test("A checkpoint emits all seven metrics keys")
    func checkpoint() throws {
        let checkpoint = FineTuningCheckpoint(
            id: "ftckpt-1", createdAt: 8, fineTunedModelCheckpoint: "ft:m:local:s:abc:ckpt-step-10",
            fineTuningJobID: "ftjob-1", stepNumber: 10, metrics: CheckpointMetrics(step: 10, trainLoss: 0.5))
        #expect(try json(checkpoint) == #"{"created_at":8,"fine_tuned_model_checkpoint":"ft:m:local:s:abc:ckpt-step-10","fine_tuning_job_id":"ftjob-1","id":"ftckpt-1","metrics":{"full_valid_loss":null,"full_valid_mean_token_accuracy":null,"step":10,"train_loss":0.5,"train_mean_token_accuracy":null,"valid_loss":null,"valid_mean_token_accuracy":null},"object":"fine_tuning.job.checkpoint","step_number":10}"#)
        #expect(try decode(FineTuningCheckpoint.self, try json(checkpoint)) == checkpoint)
    }

    @Test("Models, model lists and deletions use the SDK's keys")
    func models() throws {
        let list = ModelList(data: [Model(id: "ft:a/b:local::x", created: 1, ownedBy: "org-local")])
        #expect(try json(list) == #"{"data":[{"created":1,"id":"ft:a/b:local::x","object":"model","owned_by":"org-local"}],"object":"list"}"#)
        #expect(try json(DeletionStatus(id: "file-1", object: "file")) == #"{"deleted":true,"id":"file-1","object":"file"}"#)
    }
}

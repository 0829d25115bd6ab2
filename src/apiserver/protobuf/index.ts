/**
 * Kubernetes protobuf request bodies. kubectl's typed commands (`create namespace`, `create
 * deployment`, `expose`, drain's evictions, …) send `application/vnd.kubernetes.protobuf` and do
 * not fall back to JSON, so the API server decodes it into the JSON object a JSON client would
 * have sent, and everything downstream stays JSON. decode.ts reads the wire format with
 * protobufjs's Reader and the field table of messages.ts, which scripts/gen-messages.mjs
 * generates from the upstream generated.proto files and Go struct tags (table.ts says how to read
 * it). Responses stay JSON: kubectl accepts them.
 */
export { decodeProtobuf, isProtobuf, PROTOBUF_MEDIA_TYPE, type ProtobufDecoded } from './decode.js';

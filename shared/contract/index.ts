// The MQTT contract between ward boxes and the hub: topics, payload schemas, decoding.
export * from './ids.js';
export * from './topics.js';
export * from './messages.js';
export * from './decode.js';

// The ONVIF device simulator's public face: what tests and the demo import.
export {
  DEFAULT_SNAPSHOT_FILE,
  DEVICE_SERVICE_PATH,
  MEDIA_SERVICE_PATH,
  startOnvifDevice,
  startOnvifDevices,
  type OnvifCall,
  type OnvifDevice,
  type OnvifDeviceOptions,
} from './device.js';
export {
  DEVICE,
  NETWORK_VIDEO_TRANSMITTER,
  ONVIF_DEVICE_TYPES,
  sendDirectedProbe,
  type ProbeMatch,
  type QName,
} from './discovery.js';
export { DEFAULT_PROFILES, type ProfileSpec } from './operations.js';
export { passwordDigest } from './ws-security.js';

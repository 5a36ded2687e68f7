// The id a ward box speaks MQTT under: its topics (wardwatch/v1/<box id>/…), the `ward` field of its payloads and its
// broker login (ward-<box id>). edge.yaml's `box.id`, else its ward's id: a box configured before boxes existed keeps
// its ward's id, so it sends byte for byte what it sent before (docs/wards-and-boxes.md).

export interface BoxOfConfig {
  ward: { id: string };
  box?: { id: string } | undefined;
}

/** The box id of an edge.yaml (parsed or loaded). */
export function boxIdOf(config: BoxOfConfig): string {
  return config.box?.id ?? config.ward.id;
}

/** The broker user name (and client id prefix) of a box. */
export function boxLogin(boxId: string): string {
  return `ward-${boxId}`;
}

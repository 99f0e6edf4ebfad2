import type { SignetMetrics } from '../../observability/index.js';
import type { ImagePipeline } from '../../pipeline/result.types.js';
import type { AdmissionControl } from '../admission-control.js';
import type { ProtocolOptions } from '../protocol.js';

/** What the provider route handlers need; built once by createApp. */
export interface RouteDependencies {
  readonly pipeline: ImagePipeline;
  readonly metrics: SignetMetrics;
  readonly protocol: ProtocolOptions;
  readonly now: () => Date;
  /** The global bound on verification work in flight, shared by verify and mutate. */
  readonly admission: AdmissionControl;
}

export { createImagePipeline } from './verify-image.js';
export type { PipelineDeps } from './verify-image.js';
export { imageResultCodec } from './result-codec.js';
export type { ImagePipeline, VerifyContext } from './result.types.js';

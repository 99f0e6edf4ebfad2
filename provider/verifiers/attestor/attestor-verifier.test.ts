import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { parseConfigResource, type AttestationAuthorityConfig } from '../../config/index.js';
import { COSIGN_SIGNATURE_ANNOTATION, SIMPLE_SIGNING_MEDIA_TYPE } from '../cosign/index.js';
import {
  SUBJECT_DIGEST,
  artifactInput,
  digestOf,
  subjectIn,
  type FixtureLayer,
} from '../../../test/fixtures/cosign-artifacts.js';
import type { ArtifactVerifyInput } from '../verifier.types.js';
import { ATTESTOR_VERIFIER_TYPE, createAttestorVerifier } from './attestor-verifier.js';

const ARTIFACT_TYPE = 'application/vnd.dev.cosign.artifact.sig.v1+json';
const OTHER_DIGEST = `sha256:${'3'.repeat(64)}`;
const SUBJECT = subjectIn('kritis-demo/alpine');

const kms = generateKeyPairSync('rsa', { modulusLength: 2048 });
const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });

/** An AttestationAuthority as ACK writes it: `publicKeyData` is the base64 of the PEM key. */
function authority(publicKey: KeyObject = kms.publicKey): AttestationAuthorityConfig {
  const pem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
  const parsed = parseConfigResource({
    apiVersion: 'kritis.grafeas.io/v1beta1',
    kind: 'AttestationAuthority',
    metadata: { name: 'demo-aa' },
    spec: {
      noteReference: 'namespaces/demo-aa',
      publicKeyData: Buffer.from(pem).toString('base64'),
      publicKeyId: 'kms-key-id',
    },
  });
  if (!parsed.ok || parsed.resource.$case !== 'attestationAuthority') throw new Error(JSON.stringify(parsed));
  return parsed.resource;
}

function signedLayer(options: { key?: KeyObject; digest?: string; type?: string } = {}): FixtureLayer {
  const blob = Buffer.from(
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': 'registry.example/kritis-demo/alpine' },
        image: { 'docker-manifest-digest': options.digest ?? SUBJECT_DIGEST },
        type: options.type ?? 'cosign container image signature',
      },
      optional: null,
    }),
  );
  const signature = sign('sha256', blob, options.key ?? kms.privateKey).toString('base64');
  return {
    blob,
    descriptor: {
      mediaType: SIMPLE_SIGNING_MEDIA_TYPE,
      digest: digestOf(blob),
      size: blob.byteLength,
      annotations: { [COSIGN_SIGNATURE_ANNOTATION]: signature },
    },
  };
}

function input(layers: readonly FixtureLayer[]): ArtifactVerifyInput {
  return artifactInput({ subject: SUBJECT, layers, artifactType: ARTIFACT_TYPE });
}

describe('createAttestorVerifier', () => {
  describe('a signature by the authority key over the subject digest', () => {
    it('attests with cosign simple signing, naming the authority and key', async () => {
      const layer = signedLayer();
      const report = await createAttestorVerifier(authority()).verify(input([layer]));
      expect(report).toMatchObject({
        isSuccess: true,
        name: 'demo-aa',
        type: ATTESTOR_VERIFIER_TYPE,
        message: 'attested by AttestationAuthority "demo-aa"',
        extensions: {
          attestationAuthority: 'demo-aa',
          noteReference: 'namespaces/demo-aa',
          keyId: 'kms-key-id',
          keyAlgorithm: 'RSA 2048',
          payloadType: 'cosign container image signature',
          signatureDigest: layer.descriptor.digest,
        },
      });
    });

    it('attests with the containers/image (kritis) "atomic container signature" type', async () => {
      const report = await createAttestorVerifier(authority()).verify(
        input([signedLayer({ type: 'atomic container signature' })]),
      );
      expect(report.isSuccess).toBe(true);
      expect(report.extensions?.payloadType).toBe('atomic container signature');
    });

    it('attests when one of several layers verifies', async () => {
      const report = await createAttestorVerifier(authority()).verify(
        input([signedLayer({ key: stranger.privateKey }), signedLayer()]),
      );
      expect(report.isSuccess).toBe(true);
    });
  });

  describe('no valid attestation', () => {
    it('fails a signature by another key', async () => {
      const report = await createAttestorVerifier(authority()).verify(
        input([signedLayer({ key: stranger.privateKey })]),
      );
      expect(report.isSuccess).toBe(false);
      expect(report.message).toBe(
        'not attested by AttestationAuthority "demo-aa": the signature does not verify with any of the 1 key(s)',
      );
    });

    it('fails a valid signature over another digest (copied from another image)', async () => {
      const report = await createAttestorVerifier(authority()).verify(
        input([signedLayer({ digest: OTHER_DIGEST })]),
      );
      expect(report.isSuccess).toBe(false);
      expect(report.message).toContain(`names digest ${OTHER_DIGEST}, not the subject's ${SUBJECT_DIGEST}`);
    });

    it('fails a payload of an unknown simple-signing type', async () => {
      const report = await createAttestorVerifier(authority()).verify(
        input([signedLayer({ type: 'something else' })]),
      );
      expect(report.isSuccess).toBe(false);
      expect(report.message).toContain('simple-signing payload has type "something else"');
    });

    it('fails a layer without a signature annotation', async () => {
      const layer = signedLayer();
      const bare: FixtureLayer = { ...layer, descriptor: { ...layer.descriptor, annotations: {} } };
      const report = await createAttestorVerifier(authority()).verify(input([bare]));
      expect(report.message).toContain(`layer has no ${COSIGN_SIGNATURE_ANNOTATION} annotation`);
    });
  });

  describe('an authority key signet cannot use', () => {
    it('reports the problem at load time and fails every artifact', async () => {
      const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
      const verifier = createAttestorVerifier(authority(weak.publicKey));
      expect(verifier.problem?.message).toContain('RSA keys must have 2048 to 8192 bits, this one has 1024');
      const report = await verifier.verify(input([signedLayer({ key: weak.privateKey })]));
      expect(report.isSuccess).toBe(false);
    });
  });
});

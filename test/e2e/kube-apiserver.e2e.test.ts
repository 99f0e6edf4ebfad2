// Proves the control plane of the e2e test bed: real etcd + kube-apiserver with RBAC, client-certificate and
// ServiceAccount-token users, pods admitted without a controller manager, and a restart that keeps the data.
import { startKubeApiserver, type KubeApiserver } from '../helpers/kube-apiserver.js';

let kube: KubeApiserver;

beforeAll(async () => {
  kube = await startKubeApiserver();
});

afterAll(async () => {
  await kube?.stop();
});

interface SelfSubjectReview {
  status: { userInfo: { username: string; groups?: string[] } };
}

async function whoami(kubeconfig?: string): Promise<SelfSubjectReview['status']['userInfo']> {
  const { stdout } = await kube.kubectl(
    ['auth', 'whoami', '-o', 'json'],
    kubeconfig === undefined ? {} : { kubeconfig },
  );
  return (JSON.parse(stdout) as SelfSubjectReview).status.userInfo;
}

describe('kube-apiserver test bed', () => {
  describe('admin', () => {
    it('is ready and authenticates the admin certificate in system:masters', async () => {
      const { stdout } = await kube.kubectl(['get', '--raw', '/readyz']);
      expect(stdout.trim()).toBe('ok');
      const admin = await whoami();
      expect(admin.username).toBe('signet-e2e-admin');
      expect(admin.groups).toContain('system:masters');
    });

    it('admits a pod without a controller manager (it stays Pending)', async () => {
      await kube.kubectl(['create', 'namespace', 'bed-pods']);
      const { stdout } = await kube.kubectl([
        'run',
        'demo',
        '--namespace',
        'bed-pods',
        '--image',
        'registry.example/app:v1',
      ]);
      expect(stdout.trim()).toBe('pod/demo created');
      const { stdout: phase } = await kube.kubectl([
        'get',
        'pod',
        'demo',
        '-n',
        'bed-pods',
        '-o',
        'jsonpath={.status.phase}',
      ]);
      expect(phase).toBe('Pending');
    });
  });

  describe('RBAC', () => {
    it('denies a certificate user until a RoleBinding grants the verb', async () => {
      await kube.kubectl(['create', 'namespace', 'bed-rbac']);
      await kube.kubectl(['create', 'configmap', 'settings', '-n', 'bed-rbac', '--from-literal=a=b']);
      const kubeconfig = await kube.kubeconfigForUser('alice', ['team-a']);
      expect(await whoami(kubeconfig)).toEqual(
        expect.objectContaining({ username: 'alice', groups: expect.arrayContaining(['team-a']) as unknown }),
      );

      const denied = await kube.runKubectl(['get', 'configmaps', '-n', 'bed-rbac'], { kubeconfig });
      expect(denied.exitCode).not.toBe(0);
      expect(denied.stderr).toContain(
        'configmaps is forbidden: User "alice" cannot list resource "configmaps"',
      );

      await kube.kubectl([
        'create',
        'role',
        'read-cm',
        '-n',
        'bed-rbac',
        '--verb=get,list',
        '--resource=configmaps',
      ]);
      await kube.kubectl([
        'create',
        'rolebinding',
        'team-a-read-cm',
        '-n',
        'bed-rbac',
        '--role=read-cm',
        '--group=team-a',
      ]);
      const { stdout } = await kube.kubectl(
        ['get', 'configmaps', 'settings', '-n', 'bed-rbac', '-o', 'name'],
        { kubeconfig },
      );
      expect(stdout.trim()).toBe('configmap/settings');
    });

    it('authenticates a ServiceAccount token and holds it to RBAC', async () => {
      await kube.kubectl(['create', 'namespace', 'bed-sa']);
      const kubeconfig = await kube.kubeconfigForServiceAccount('bed-sa', 'reader');
      expect((await whoami(kubeconfig)).username).toBe('system:serviceaccount:bed-sa:reader');
      const denied = await kube.runKubectl(['get', 'secrets', '-n', 'bed-sa'], { kubeconfig });
      expect(denied.exitCode).not.toBe(0);
      expect(denied.stderr).toContain(
        'User "system:serviceaccount:bed-sa:reader" cannot list resource "secrets"',
      );
    });
  });

  describe('restart', () => {
    it('restarts kube-apiserver on the same URL with the data kept in etcd', async () => {
      await kube.kubectl(['create', 'namespace', 'bed-restart']);
      await kube.kubectl(['create', 'configmap', 'kept', '-n', 'bed-restart', '--from-literal=k=v']);
      const url = kube.url;
      await kube.restart();
      expect(kube.url).toBe(url);
      const { stdout } = await kube.kubectl([
        'get',
        'configmap',
        'kept',
        '-n',
        'bed-restart',
        '-o',
        'jsonpath={.data.k}',
      ]);
      expect(stdout).toBe('v');
    });
  });
});

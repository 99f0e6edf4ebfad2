import { Router } from 'express';

/** Liveness (the process answers) and readiness (a config snapshot is loaded and we are not draining). */
export function createHealthRouter(isReady: () => boolean): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.status(200).json({ status: 'ok' });
  });
  router.get('/readyz', (_req, res) => {
    if (isReady()) res.status(200).json({ status: 'ready' });
    else res.status(503).json({ status: 'not ready' });
  });
  return router;
}

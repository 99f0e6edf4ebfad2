// Integration and e2e tests drive real processes (registries, signet, CLIs): give each test two minutes.
import { jest } from '@jest/globals';

jest.setTimeout(120_000);

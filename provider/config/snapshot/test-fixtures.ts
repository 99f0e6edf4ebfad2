// Test-only data shared by the snapshot tests of the file and Kubernetes sources.
import { generateKeyPairSync } from 'node:crypto';

/** A self-signed P-256 CA (openssl, valid until 2126): test data, trusted by nothing. */
export const CA_PEM = `-----BEGIN CERTIFICATE-----
MIIBnjCCAUOgAwIBAgIULAj8jI6ztfOCn0cvggY5w1cC2CUwCgYIKoZIzj0EAwIw
GzEZMBcGA1UEAwwQU25hcHNob3QgVGVzdCBDQTAgFw0yNjExMjMwOTM5MjRaGA8y
MTI2MTAzMDA5MzkyNFowGzEZMBcGA1UEAwwQU25hcHNob3QgVGVzdCBDQTBZMBMG
ByqGSM49AgEGCCqGSM49AwEHA0IABDupYi8QWOyALnV9W2z+/823PELAbabtBm+u
cbSfY+K4B20RJZ3HT+cOV4vAJdAC5u66QwO2anNakqEKq1UMhbajYzBhMB0GA1Ud
DgQWBBRr4YKoauDwkPo+pRVmlGf9rfaqBzAfBgNVHSMEGDAWgBRr4YKoauDwkPo+
pRVmlGf9rfaqBzAPBgNVHRMBAf8EBTADAQH/MA4GA1UdDwEB/wQEAwICBDAKBggq
hkjOPQQDAgNJADBGAiEAk6zqOtIJrCUB/j7XKp0aqyo6btDXPgfRDM+FlFdskosC
IQDZxZQkDWkISzNIdVJrQ5tvMW9YHCD3nptQKbwmD0uTcw==
-----END CERTIFICATE-----
`;
export const KEY_PEM = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
  type: 'spki',
  format: 'pem',
}) as string;

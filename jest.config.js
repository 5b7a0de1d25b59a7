/**
 * Four suites: unit (pure, milliseconds), integration (real nats-server), e2e (real Pulumi CLI), and
 * platforms (real cloud providers against a real Kubernetes API server and an AWS emulator), which
 * `npm test` leaves to `npm run test:platforms`.
 */
const project = (name) => ({
  displayName: name,
  testEnvironment: "node",
  // tsconfig's isolatedModules: ts-jest compiles file by file without type checking. `npm run lint`
  // type-checks the whole project once, where ts-jest would again for every test file (minutes).
  transform: { "^.+\\.ts$": "ts-jest" },
  testMatch: [`<rootDir>/test/${name}/**/*.test.ts`],
});

module.exports = {
  projects: [project("unit"), project("integration"), project("e2e"), project("platforms")],
  // Jest's 5 s default is less than a Pulumi program under mocks may take on a loaded machine
  // (serializing each dynamic provider's code); tests that wait on servers set their own bounds.
  // A global option: Jest ignores it, with a warning, inside a project.
  testTimeout: 30_000,
  // Suites that start servers share loopback ports and the two cores: one file at a time.
  maxWorkers: 1,
};

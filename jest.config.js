/** Three suites: unit (pure, milliseconds), integration (real nats-server), e2e (real Pulumi CLI). */
const project = (name) => ({
  displayName: name,
  preset: "ts-jest",
  testEnvironment: "node",
  testMatch: [`<rootDir>/test/${name}/**/*.test.ts`],
});

module.exports = {
  projects: [project("unit"), project("integration"), project("e2e")],
  // Suites that start servers share loopback ports and the two cores: one file at a time.
  maxWorkers: 1,
};

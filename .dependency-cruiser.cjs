/** Import rules checked in CI (`npm run depcruise`): docs/architecture.md draws the layers these keep. */
module.exports = {
  forbidden: [
    {
      name: "no-folder-cycles",
      comment: "A folder of src/ imports (through any chain) a folder that imports it back: the layers in docs/architecture.md no longer hold.",
      severity: "error",
      scope: "folder",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "no-module-cycles",
      comment: "A module imports itself through a chain of others.",
      severity: "error",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "src-not-from-tests",
      comment: "Production code never imports tests or their support code.",
      severity: "error",
      from: { path: "^src/", pathNot: "(\\.test\\.ts$|/test-support/)" },
      to: { path: "(\\.test\\.ts$|/test-support/|^test/)" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(\\.test\\.ts$|/test-support/)" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default"] },
  },
};

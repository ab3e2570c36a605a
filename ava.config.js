// Tests are TypeScript under test/; they run on tsc's output in dist/ (AVA's advice for TS).
export default {
  files: ['test/**/*.test.ts', '!test/**/{fixtures,helpers}/**'],
  typescript: {
    rewritePaths: { 'test/': 'dist/test/' },
    compile: false,
  },
  timeout: '5m',
  workerThreads: false,
};

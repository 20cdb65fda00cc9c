import { runtimeSuite } from './suite.js';

runtimeSuite('bun');

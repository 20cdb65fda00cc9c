import { runtimeSuite } from './suite.js';

runtimeSuite('workerd');

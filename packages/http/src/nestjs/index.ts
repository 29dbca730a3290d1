// Public API of @bulwark/http/nestjs: a resilient HttpService (needs @nestjs/axios and @bulwark/nestjs).
export { ResilientHttpModule } from './resilient-http.module.js';
export type { ResilientHttpModuleAsyncOptions, ResilientHttpModuleOptions } from './resilient-http.module.js';

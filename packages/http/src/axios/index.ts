// Public API of @bulwark/http/axios: the axios adapter (needs axios installed).
export { resilientAxiosAdapter } from './resilient-axios.adapter.js';
export type { ResilientAxiosAdapterOptions } from './resilient-axios.adapter.js';

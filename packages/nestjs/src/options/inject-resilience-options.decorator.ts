import { Inject } from '@nestjs/common';
import { RESILIENCE_OPTIONS } from '../resilience.constants.js';

/** Injects the resolved `ResilienceModuleOptions`. */
export const InjectResilienceOptions = (): PropertyDecorator & ParameterDecorator => Inject(RESILIENCE_OPTIONS);

import { Controller, Get } from '@nestjs/common';

/** `GET /`: what there is to try. */
@Controller()
export class HomeController {
  @Get()
  index(): { name: string; try: string[] } {
    return {
      name: 'Bulwark storefront example',
      try: ['/products', '/products/1', '/search?q=oak', '/dashboard', '/health/resilience'],
    };
  }
}

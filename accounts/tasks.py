from celery import shared_task


@shared_task(name="accounts.trust_levels_promote")
def trust_levels_promote() -> int:
    from accounts import services

    return services.trust_levels_promote()

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml constraints.txt ./
COPY . .
# The settings are production's, which need a SECRET_KEY; collectstatic uses none, and the
# running containers get the real one from their environment.
RUN pip install -c constraints.txt . \
    && SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput
RUN useradd --create-home app && chown -R app /app
USER app
EXPOSE 8000
CMD ["gunicorn", "regsupport.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3"]

using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace ProCo.Migrations.Postgres.Schema
{
    /// <inheritdoc />
    public partial class Sweeps : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "SweepId",
                table: "Runs",
                type: "bigint",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "Sweeps",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    Name = table.Column<string>(type: "text", nullable: false),
                    Kind = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    SpecJson = table.Column<string>(type: "text", nullable: false),
                    BaseConfigJson = table.Column<string>(type: "text", nullable: false),
                    CreatedBy = table.Column<string>(type: "text", nullable: true),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Sweeps", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Runs_SweepId",
                table: "Runs",
                column: "SweepId");

            migrationBuilder.CreateIndex(
                name: "IX_Sweeps_CreatedAt",
                table: "Sweeps",
                column: "CreatedAt");

            migrationBuilder.AddForeignKey(
                name: "FK_Runs_Sweeps_SweepId",
                table: "Runs",
                column: "SweepId",
                principalTable: "Sweeps",
                principalColumn: "Id",
                onDelete: ReferentialAction.SetNull);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "FK_Runs_Sweeps_SweepId",
                table: "Runs");

            migrationBuilder.DropTable(
                name: "Sweeps");

            migrationBuilder.DropIndex(
                name: "IX_Runs_SweepId",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "SweepId",
                table: "Runs");
        }
    }
}

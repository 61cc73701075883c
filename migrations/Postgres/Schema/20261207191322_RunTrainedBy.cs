using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ProCo.Migrations.Postgres.Schema
{
    /// <inheritdoc />
    public partial class RunTrainedBy : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "TrainedBy",
                table: "Runs",
                type: "text",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "TrainedBy",
                table: "Runs");
        }
    }
}
